/**
 * The object types the tool reads and writes. Kubernetes kinds come from @kubernetes/client-node's
 * generated models, imported as types only: they cost nothing at start-up and no runtime of that
 * package is loaded. Istio and Gateway API kinds are our own (src/istio/types.ts).
 */
import type {
  V1CustomResourceDefinitionSpec,
  V1DeploymentSpec,
  V1DeploymentStatus,
  V1EndpointSubset,
  V1PodSpec,
  V1PodStatus,
  V1ServiceSpec,
  V1ServiceStatus,
} from '@kubernetes/client-node'

export interface ObjectMeta {
  name?: string
  generateName?: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  resourceVersion?: string
  uid?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  ownerReferences?: {apiVersion: string; kind: string; name: string; uid: string; controller?: boolean}[]
  managedFields?: {manager?: string; operation?: string; apiVersion?: string; time?: string; fieldsType?: string; fieldsV1?: unknown}[]
  finalizers?: string[]
  [key: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [key: string]: unknown
}

export interface ObjectRef {
  apiVersion: string
  kind: string
  name: string
  namespace?: string
}

/**
 * A client-node model as it arrives in JSON: our metadata (timestamps stay strings; client-node's
 * classes type them as Date because its own deserializer converts them, which ours does not).
 */
type Model<Spec, Status = never> = KubeObject & {spec?: Spec} & ([Status] extends [never] ? unknown : {status?: Status})

export type Pod = Model<V1PodSpec, V1PodStatus>
export type Service = Model<V1ServiceSpec, V1ServiceStatus>
export type Deployment = Model<V1DeploymentSpec, V1DeploymentStatus>
export type CustomResourceDefinition = Model<V1CustomResourceDefinitionSpec>
export type Endpoints = KubeObject & {subsets?: V1EndpointSubset[]}
/** data values are base64, as the API serves them. */
export type Secret = KubeObject & {type?: string; data?: Record<string, string>; stringData?: Record<string, string>}
