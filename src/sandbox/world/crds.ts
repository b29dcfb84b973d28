import type {ResourceType} from '../api/resources.ts'

const istioLabels = {app: 'istio-pilot', chart: 'istio', heritage: 'Tiller', release: 'istio'}
const gatewayApiAnnotations = {'gateway.networking.k8s.io/bundle-version': 'v1.2.1', 'gateway.networking.k8s.io/channel': 'standard'}

/** The CustomResourceDefinition object a custom kind is installed by (schemas kept open: the server validates). */
export function crdFor(type: ResourceType, storageVersion: string): Record<string, unknown> {
  const names = {
    kind: type.kind,
    listKind: `${type.kind}List`,
    plural: type.plural,
    singular: type.singular,
    ...(type.shortNames.length > 0 ? {shortNames: type.shortNames} : {}),
    ...(type.categories.length > 0 ? {categories: type.categories} : {}),
  }
  const istio = type.group.endsWith('istio.io')
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${type.plural}.${type.group}`,
      ...(istio ? {labels: istioLabels, annotations: {'helm.sh/resource-policy': 'keep'}} : {annotations: gatewayApiAnnotations}),
    },
    spec: {
      group: type.group,
      names,
      scope: type.namespaced ? 'Namespaced' : 'Cluster',
      versions: type.versions.map((name) => ({
        name,
        served: true,
        storage: name === storageVersion,
        schema: {openAPIV3Schema: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}},
        subresources: {status: {}},
      })),
    },
    status: {
      acceptedNames: names,
      conditions: [
        {type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found'},
        {type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted'},
      ],
      storedVersions: [storageVersion],
    },
  }
}

/** Istio stores networking kinds as v1alpha3 (the oldest served); Gateway API as v1. */
export function storageVersionOf(type: ResourceType): string {
  return type.group === 'networking.istio.io' ? 'v1alpha3' : type.versions[0]!
}
