import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'
import {labelsMatch, podIsReady} from '../../src/istio/gateway-workload.ts'

export const istiodReady: DoctorCheck = {
  id: 'istiod-ready',
  layer: 'install',
  description: 'istiod runs with at least one ready pod.',
  inputs: ['Deployment', 'Pod'],
  run(snapshot) {
    const istiods = snapshot.items('Deployment').filter((d) => d.metadata.labels?.app === 'istiod' || d.metadata.name === 'istiod' || d.metadata.name?.startsWith('istiod-'))
    if (istiods.length === 0) {
      return [finding('IstiodNotReady', {kind: 'Deployment', namespace: 'istio-system', name: 'istiod'}, 'no istiod Deployment in any namespace: nothing programs the gateways', {hint: 'istioctl install --set profile=default'})]
    }
    const pods = snapshot.items('Pod')
    return istiods.flatMap((d) => {
      const namespace = d.metadata.namespace ?? ''
      const selector = d.spec?.selector?.matchLabels ?? {app: 'istiod'}
      const own = pods.filter((p) => p.metadata.namespace === namespace && labelsMatch(selector, p.metadata.labels))
      const ready = own.filter(podIsReady).length
      if (ready > 0) return []
      return [finding('IstiodNotReady', {kind: 'Deployment', namespace, name: d.metadata.name ?? ''}, `istiod has ${ready}/${own.length} ready pods: configuration changes do not reach Envoy`, {hint: `kubectl -n ${namespace} describe deploy ${d.metadata.name}`})]
    })
  },
}
