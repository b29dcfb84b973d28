import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'

export const istiodRejectedConfigs: DoctorCheck = {
  id: 'istiod-rejected-configs',
  layer: 'live',
  description: "istiod rejected no Gateway servers while merging them (pilot_total_rejected_configs).",
  inputs: ['IstiodMetric'],
  run(snapshot) {
    return snapshot.items('IstiodMetric').flatMap((sample) => {
      if (sample.name !== 'pilot_total_rejected_configs' || sample.value <= 0) return []
      const [namespace, name] = (sample.labels.name ?? '').includes('/') ? (sample.labels.name as string).split('/') : ['', sample.labels.name ?? '']
      return [
        finding('EnvoyConfigRejected', {kind: sample.labels.type === 'gateway' ? 'Gateway' : sample.labels.type ?? 'Config', ...(namespace ? {namespace} : {}), name: name ?? ''}, `istiod rejected ${sample.value} server${sample.value === 1 ? '' : 's'} of this ${sample.labels.type ?? 'config'} when merging gateways: they are not programmed into Envoy`, {
          hint: `kubectl -n istio-system logs deploy/istiod | grep -iE 'skipping server|conflict|duplicate'`,
        }),
      ]
    })
  },
}
