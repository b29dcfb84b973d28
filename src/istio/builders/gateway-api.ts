import type {KubeObject} from '../../kube/objects.ts'
import {kubeObject, type ObjectIdentity} from './meta.ts'

export const gatewayApiVersion = 'gateway.networking.k8s.io/v1'

export interface Listener {
  name: string
  hostname?: string
  port: number
  protocol: 'HTTP' | 'HTTPS' | 'TLS'
  tls?: {mode: 'Terminate' | 'Passthrough'; certificateRefs?: {kind: 'Secret'; name: string; namespace?: string}[]}
}

export interface KubeGatewayProps extends ObjectIdentity {
  gatewayClassName: string
  listeners: Listener[]
}

/** A Gateway API Gateway; with class "istio", istiod deploys and programs the gateway pods itself. */
export function buildKubeGateway(props: KubeGatewayProps): KubeObject {
  return kubeObject(gatewayApiVersion, 'Gateway', props, {
    spec: {gatewayClassName: props.gatewayClassName, listeners: props.listeners.map((l) => ({...l, allowedRoutes: {namespaces: {from: 'Same'}}}))},
  })
}

export interface HttpRouteValueMatch {
  type: 'Exact' | 'RegularExpression'
  name: string
  value: string
}

export interface HttpRouteMatch {
  path?: {type: 'PathPrefix' | 'Exact' | 'RegularExpression'; value: string}
  headers?: HttpRouteValueMatch[]
  queryParams?: HttpRouteValueMatch[]
}

export type HttpRouteFilter =
  | {type: 'RequestRedirect'; requestRedirect: {scheme?: string; statusCode?: number; hostname?: string; path?: {type: 'ReplaceFullPath'; replaceFullPath: string}}}
  | {type: 'URLRewrite'; urlRewrite: {hostname?: string; path?: {type: 'ReplacePrefixMatch'; replacePrefixMatch: string} | {type: 'ReplaceFullPath'; replaceFullPath: string}}}
  | {type: 'RequestHeaderModifier' | 'ResponseHeaderModifier'; [key: string]: unknown}

export interface HttpRouteRule {
  matches?: HttpRouteMatch[]
  filters?: HttpRouteFilter[]
  backendRefs?: {name: string; namespace?: string; port?: number; weight?: number}[]
  timeouts?: {request?: string; backendRequest?: string}
}

export interface HttpRouteProps extends ObjectIdentity {
  parentRefs: {name: string; namespace?: string; sectionName?: string}[]
  hostnames: string[]
  rules: HttpRouteRule[]
}

/** A Gateway API HTTPRoute: matches, filters and weighted backends for hostnames on a Gateway's listeners. */
export function buildHttpRoute(props: HttpRouteProps): KubeObject {
  return kubeObject(gatewayApiVersion, 'HTTPRoute', props, {
    spec: {parentRefs: props.parentRefs, hostnames: props.hostnames, rules: props.rules},
  })
}
