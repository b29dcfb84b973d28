import type {KubeObject} from '../../kube/objects.ts'
import {kubeObject, type ObjectIdentity} from './meta.ts'

export interface StringMatch {
  exact?: string
  prefix?: string
  regex?: string
}

export interface HttpMatch {
  uri?: StringMatch
  headers?: Record<string, StringMatch>
  queryParams?: Record<string, StringMatch>
  gateways?: string[]
  port?: number
}

export interface RouteDestination {
  host: string
  subset?: string
  port?: number
  weight?: number
}

export interface HeaderOperations {
  add?: Record<string, string>
  set?: Record<string, string>
  remove?: string[]
}

export interface HttpRetries {
  attempts: number
  perTryTimeout?: string
  retryOn?: string
}

export interface HttpRouteRule {
  name?: string
  match?: HttpMatch[]
  route: RouteDestination[]
  redirect?: {uri?: string; authority?: string; scheme?: string; redirectCode?: number}
  rewrite?: {uri?: string; authority?: string}
  timeout?: string
  retries?: HttpRetries
  headers?: {request?: HeaderOperations; response?: HeaderOperations}
}

export interface TlsRouteRule {
  match: {sniHosts: string[]; gateways?: string[]; port?: number}[]
  route: RouteDestination[]
}

export interface VirtualServiceProps extends ObjectIdentity {
  apiVersion: string
  hosts: string[]
  gateways: string[]
  http?: HttpRouteRule[]
  tls?: TlsRouteRule[]
}

function destination(d: RouteDestination): Record<string, unknown> {
  return {destination: {host: d.host, subset: d.subset, port: d.port === undefined ? undefined : {number: d.port}}, weight: d.weight}
}

/** An Istio VirtualService: routing rules for hosts, bound to gateways (and/or the mesh). */
export function buildVirtualService(props: VirtualServiceProps): KubeObject {
  return kubeObject(props.apiVersion, 'VirtualService', props, {
    spec: {
      hosts: props.hosts,
      gateways: props.gateways,
      http: props.http?.map((rule) => ({
        name: rule.name,
        match: rule.match,
        route: rule.redirect ? undefined : rule.route.map(destination),
        redirect: rule.redirect,
        rewrite: rule.rewrite,
        timeout: rule.timeout,
        retries: rule.retries,
        headers: rule.headers,
      })),
      tls: props.tls?.map((rule) => ({match: rule.match, route: rule.route.map(destination)})),
    },
  })
}
