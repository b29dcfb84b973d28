/** Istio networking and Kubernetes Gateway API kinds, as far as kubectl-gw reads them. */
import type {KubeObject} from '../kube/objects.ts'

export interface ServerTls {
  mode?: string
  credentialName?: string
  credentialNames?: string[]
  caCertCredentialName?: string
  httpsRedirect?: boolean
}

export interface GatewayServerSpec {
  port?: {number?: number; name?: string; protocol?: string; targetPort?: number}
  hosts?: string[]
  bind?: string
  name?: string
  tls?: ServerTls
}

export type IstioGateway = KubeObject & {spec?: {selector?: Record<string, string>; servers?: GatewayServerSpec[]}}

export interface StringMatch {
  exact?: string
  prefix?: string
  regex?: string
}

export interface HttpMatchRequest {
  name?: string
  uri?: StringMatch
  scheme?: StringMatch
  method?: StringMatch
  authority?: StringMatch
  headers?: Record<string, StringMatch>
  withoutHeaders?: Record<string, StringMatch>
  queryParams?: Record<string, StringMatch>
  ignoreUriCase?: boolean
  port?: number
  gateways?: string[]
}

export interface Destination {
  host?: string
  subset?: string
  port?: {number?: number}
}

export interface HttpRouteDestination {
  destination?: Destination
  weight?: number
}

export interface HttpRoute {
  name?: string
  match?: HttpMatchRequest[]
  route?: HttpRouteDestination[]
  redirect?: {uri?: string; authority?: string; redirectCode?: number}
  directResponse?: {status?: number}
  mirror?: Destination
  delegate?: {name?: string; namespace?: string}
}

export interface TcpTlsRoute {
  match?: {port?: number; sniHosts?: string[]}[]
  route?: {destination?: Destination; weight?: number}[]
}

export type VirtualService = KubeObject & {
  spec?: {hosts?: string[]; gateways?: string[]; http?: HttpRoute[]; tls?: TcpTlsRoute[]; tcp?: TcpTlsRoute[]; exportTo?: string[]}
}

export interface Subset {
  name: string
  labels?: Record<string, string>
}

export type DestinationRule = KubeObject & {spec?: {host?: string; subsets?: Subset[]; exportTo?: string[]}}

export type ServiceEntry = KubeObject & {spec?: {hosts?: string[]; ports?: {number: number; name?: string; protocol?: string}[]; location?: string; resolution?: string}}

export interface Condition {
  type: string
  status: string
  reason?: string
  message?: string
}

export interface ObjectReference {
  group?: string
  kind?: string
  name: string
  namespace?: string
}

export interface ListenerSpec {
  name: string
  hostname?: string
  port: number
  protocol: string
  tls?: {mode?: string; certificateRefs?: ObjectReference[]}
}

/** gateway.networking.k8s.io Gateway. */
export type KubernetesGateway = KubeObject & {
  spec?: {gatewayClassName?: string; listeners?: ListenerSpec[]}
  status?: {addresses?: {value: string}[]; conditions?: Condition[]; listeners?: {name: string; conditions?: Condition[]}[]}
}

export interface ParentReference extends ObjectReference {
  sectionName?: string
  port?: number
}

export interface BackendRef extends ObjectReference {
  port?: number
  weight?: number
}

/** gateway.networking.k8s.io HTTPRoute. */
export type KubernetesHttpRoute = KubeObject & {
  spec?: {
    parentRefs?: ParentReference[]
    hostnames?: string[]
    rules?: {matches?: {path?: {type?: string; value?: string}; headers?: {type?: string; name: string; value: string}[]}[]; backendRefs?: BackendRef[]}[]
  }
  status?: {parents?: {parentRef: ParentReference; controllerName?: string; conditions?: Condition[]}[]}
}
