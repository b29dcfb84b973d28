import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding} from '../../src/findings/catalog.ts'

const required = ['gateways.networking.istio.io', 'virtualservices.networking.istio.io', 'destinationrules.networking.istio.io']

export const istioCrds: DoctorCheck = {
  id: 'istio-crds',
  layer: 'install',
  description: "Istio's networking CRDs (Gateway, VirtualService, DestinationRule) are installed.",
  inputs: ['CustomResourceDefinition'],
  run(snapshot) {
    const names = new Set(snapshot.items('CustomResourceDefinition').map((c) => c.metadata.name))
    const missing = required.filter((name) => !names.has(name))
    if (missing.length === 0) return []
    return [finding('IstioNotInstalled', {kind: 'CustomResourceDefinition', name: missing[0] as string}, `Istio CRDs not installed: ${missing.join(', ')}`)]
  },
}
