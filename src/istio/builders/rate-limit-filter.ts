import type {KubeObject} from '../../kube/objects.ts'
import {kubeObject, type ObjectIdentity} from './meta.ts'

/** EnvoyFilter is served as v1alpha3 only, whatever version the other networking kinds use. */
export const envoyFilterApiVersion = 'networking.istio.io/v1alpha3'

export interface RateLimitFilterProps extends ObjectIdentity {
  /** Labels of the gateway pods the filter is patched into. */
  workloadSelector: Record<string, string>
  /** Token bucket: burst size. */
  maxTokens: number
  /** Tokens added every fill interval. */
  tokensPerFill: number
  /** Go duration, e.g. "1s". */
  fillInterval: string
  /**
   * The request hosts (virtual host domains) the bucket applies to; undefined: every host on every
   * listener of the gateway pods (the shared gateway as a whole).
   */
  hosts?: string[]
}

const enabled100Percent = {numerator: 100, denominator: 'HUNDRED'}
const localRateLimit = 'envoy.filters.http.local_ratelimit'
const typedStruct = (value: Record<string, unknown>) => ({
  '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
  type_url: 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  value,
})

/**
 * Envoy's local rate limit at the gateway pods (seed 000 "Rate Limiting"): requests over the bucket
 * get 429 from the gateway pod itself. The filter goes before the router on the HTTP connection
 * manager; with `hosts` it carries no bucket of its own and each of those virtual hosts gets one
 * (typed_per_filter_config), so other applications on the shared gateway are not limited.
 */
export function buildRateLimitFilter(props: RateLimitFilterProps): KubeObject {
  const bucket = {
    stat_prefix: 'http_local_rate_limiter',
    token_bucket: {max_tokens: props.maxTokens, tokens_per_fill: props.tokensPerFill, fill_interval: props.fillInterval},
    filter_enabled: {runtime_key: 'local_rate_limit_enabled', default_value: enabled100Percent},
    filter_enforced: {runtime_key: 'local_rate_limit_enforced', default_value: enabled100Percent},
    response_headers_to_add: [{append: false, header: {key: 'x-rate-limit', value: String(props.maxTokens)}}],
  }
  const listenerFilter = {
    applyTo: 'HTTP_FILTER',
    match: {
      context: 'GATEWAY',
      listener: {filterChain: {filter: {name: 'envoy.filters.network.http_connection_manager', subFilter: {name: 'envoy.filters.http.router'}}}},
    },
    patch: {operation: 'INSERT_BEFORE', value: {name: localRateLimit, typed_config: typedStruct(props.hosts ? {stat_prefix: 'http_local_rate_limiter'} : bucket)}},
  }
  const perHost = (props.hosts ?? []).map((host) => ({
    applyTo: 'VIRTUAL_HOST',
    match: {context: 'GATEWAY', routeConfiguration: {vhost: {domainName: host}}},
    patch: {operation: 'MERGE', value: {typed_per_filter_config: {[localRateLimit]: typedStruct(bucket)}}},
  }))
  return kubeObject(envoyFilterApiVersion, 'EnvoyFilter', props, {
    spec: {workloadSelector: {labels: props.workloadSelector}, configPatches: [listenerFilter, ...perHost]},
  })
}
