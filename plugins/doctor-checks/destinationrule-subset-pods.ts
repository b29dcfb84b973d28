import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {labelSelectorString} from '../../src/istio/gateway-workload.ts'
import {serviceRef} from '../../src/istio/references.ts'
import {subsetPods} from '../../src/istio/subsets.ts'

export const destinationRuleSubsetPods: DoctorCheck = {
  id: 'destinationrule-subset-pods',
  layer: 'config',
  description: "Every DestinationRule subset selects at least one pod of its Service.",
  inputs: ['DestinationRule', 'Service', 'Pod'],
  run(snapshot) {
    const services = new Map(snapshot.items('Service').map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
    const pods = snapshot.items('Pod')
    return snapshot.items('DestinationRule').flatMap((rule) => {
      const ref = serviceRef(rule.spec?.host ?? '', rule.metadata.namespace ?? '')
      const service = ref && services.get(`${ref.namespace}/${ref.name}`)
      if (!service) return []
      return (rule.spec?.subsets ?? []).flatMap((subset) => {
        if (subsetPods(service, subset, pods).length > 0) return []
        const labels = labelSelectorString(subset.labels ?? {})
        return [
          finding('SubsetSelectsNoPods', {kind: 'DestinationRule', namespace: rule.metadata.namespace, name: rule.metadata.name ?? ''}, `subset "${subset.name}" (${labels || 'no labels'}) selects no pod of Service ${ref.namespace}/${ref.name}: requests routed to it get 503 UH`, {
            hint: `kubectl -n ${ref.namespace} get pods -l ${labelSelectorString(service.spec?.selector ?? {})} --show-labels`,
          }),
        ]
      })
    })
  },
}
