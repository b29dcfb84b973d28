/**
 * The scaffold spec: what `-f spec.yaml` holds and what the flags are turned into. One shape for
 * both, so validation, detection and planning never care where an answer came from.
 * Documented in docs/scaffold-spec.md; the JSON schema is `scaffoldSpecSchema`.
 */

/** `/api` (prefix), `exact:/health`, `prefix:/api`, `regex:/v[0-9]+/.*`; headers and query default to exact. */
export type MatchText = string
export interface StringMatchSpec {
  exact?: string
  prefix?: string
  regex?: string
}

export interface DestinationSpec {
  service: string
  port?: number
  subset?: string
  weight?: number
}

export interface HeaderOperationsSpec {
  add?: Record<string, string>
  set?: Record<string, string>
  remove?: string[]
}

export interface RouteSpec {
  name?: string
  /** URI match; a bare path is a prefix. Omitted: matches everything (the default route). */
  match?: MatchText
  headers?: Record<string, MatchText | StringMatchSpec>
  query?: Record<string, MatchText | StringMatchSpec>
  /** `svc[:port]`, or a list of those or of {service, port, subset, weight}. */
  to?: string | (string | DestinationSpec)[]
  /** Redirect instead of routing (Istio HTTPRedirect). */
  redirect?: {uri?: string; authority?: string; scheme?: string; code?: number}
  rewrite?: string | {uri?: string; authority?: string}
  timeout?: string
  retries?: {attempts: number; perTryTimeout?: string; retryOn?: string; retriableStatusCodes?: number[]}
  requestHeaders?: HeaderOperationsSpec
  responseHeaders?: HeaderOperationsSpec
}

export interface VirtualServiceSpec {
  name?: string
  /** Defaults to the Gateway's hosts. */
  hosts?: string[]
  routes: RouteSpec[]
}

export type TlsChoice = 'none' | 'simple' | 'mutual' | 'passthrough'

export interface ServerSpec {
  port: number
  name?: string
  protocol?: 'HTTP' | 'HTTPS' | 'TLS'
  hosts: string[]
  tls?: {mode?: 'SIMPLE' | 'MUTUAL' | 'PASSTHROUGH'; credential?: string; httpsRedirect?: boolean}
}

export interface GatewaySpec {
  name?: string
  /** Bind to a Gateway that already exists; none is generated. */
  existing?: boolean
  namespace?: string
  labels?: Record<string, string>
  selector?: Record<string, string>
  hosts?: string[]
  tls?: TlsChoice
  credential?: string
  /** Issue the credential secret(s) of the SIMPLE/MUTUAL servers through the certs core (default name `<name>-credential`). */
  generateCert?: boolean
  httpsRedirect?: boolean
  /** Explicit servers, instead of hosts / tls / credential / httpsRedirect. */
  servers?: ServerSpec[]
}

export interface DestinationRuleSpec {
  name?: string
  host: string
  /** Labels omitted: detected from the Service's pods (dry run: version=<name>). */
  subsets?: {name: string; labels?: Record<string, string>}[]
  loadBalancer?: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH'
  connectionPool?: {tcp?: Record<string, unknown>; http?: Record<string, unknown>}
  outlierDetection?: Record<string, unknown>
}

export interface RateLimitSpec {
  name?: string
  namespace?: string
  /** hosts: only the application's hosts (the default with a gateway); gateway: every host of the shared gateway pods. */
  scope?: 'hosts' | 'gateway'
  /** `100/s`, `6000/m`: bucket of that size refilled every unit. */
  requests?: string
  maxTokens?: number
  tokensPerFill?: number
  fillInterval?: string
}

export interface HpaSpec {
  name?: string
  deployment?: string
  min: number
  max: number
  cpu: number
}

export interface PdbSpec {
  name?: string
  minAvailable?: number | string
  maxUnavailable?: number | string
}

export interface EgressSpec {
  host: string
  name?: string
  /** none: plain HTTP out; passthrough: the app speaks TLS; originate: the egress gateway speaks TLS. */
  tls?: 'none' | 'passthrough' | 'originate'
  selector?: Record<string, string>
}

export interface ScaffoldSpec {
  name: string
  namespace?: string
  api?: 'istio' | 'gateway-api'
  gateway?: GatewaySpec
  virtualServices?: VirtualServiceSpec[]
  destinationRules?: DestinationRuleSpec[]
  rateLimit?: RateLimitSpec
  hpa?: HpaSpec
  pdb?: PdbSpec
  egress?: EgressSpec
}

/** A place in the spec: property names and list indexes. */
export type SpecPath = (string | number)[]

const dnsLabelish = '^[a-z0-9*]([-a-z0-9.*]*[a-z0-9])?$'
const k8sName = {type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253, 'x-hint': 'use lower-case letters, digits, "-" and "."'}
const labels = {type: 'object', additionalProperties: {type: 'string'}, 'x-hint': 'write labels as key: "value" pairs'}
const stringMap = {type: 'object', additionalProperties: {type: 'string'}}
const hostList = {type: 'array', minItems: 1, items: {type: 'string', minLength: 1}, 'x-hint': 'list host names, e.g. [app.example.com]'}
const duration = {type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$', 'x-hint': 'write a duration like 30s, 500ms or 1m30s'}
const matchValue = {
  type: ['string', 'object'],
  properties: {exact: {type: 'string'}, prefix: {type: 'string'}, regex: {type: 'string'}},
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  'x-hint': 'write "exact:VALUE", "prefix:VALUE", "regex:VALUE", or {exact|prefix|regex: VALUE}',
}
const headerOperations = {
  type: 'object',
  properties: {add: stringMap, set: stringMap, remove: {type: 'array', items: {type: 'string'}}},
  additionalProperties: false,
}
const destination = {
  type: ['string', 'object'],
  properties: {
    service: {type: 'string', minLength: 1},
    port: {type: 'integer', minimum: 1, maximum: 65535},
    subset: k8sName,
    weight: {type: 'integer', minimum: 0, maximum: 100, 'x-hint': 'weights are whole numbers from 0 to 100'},
  },
  required: ['service'],
  additionalProperties: false,
  'x-hint': 'write "service[:port]" or {service, port, subset, weight}',
}
const route = {
  type: 'object',
  properties: {
    name: {type: 'string'},
    match: {type: 'string', minLength: 1, 'x-hint': 'write /prefix, exact:/path or regex:/v[0-9]+/.*'},
    headers: {type: 'object', additionalProperties: matchValue},
    query: {type: 'object', additionalProperties: matchValue},
    to: {type: ['string', 'array'], minItems: 1, items: destination, 'x-hint': 'write "service[:port]" or a list of destinations'},
    redirect: {
      type: 'object',
      properties: {uri: {type: 'string'}, authority: {type: 'string'}, scheme: {enum: ['http', 'https']}, code: {enum: [301, 302, 303, 307, 308]}},
      additionalProperties: false,
    },
    rewrite: {
      type: ['string', 'object'],
      properties: {uri: {type: 'string'}, authority: {type: 'string'}},
      additionalProperties: false,
      'x-hint': 'write the new URI prefix, or {uri, authority}',
    },
    timeout: duration,
    retries: {
      type: 'object',
      properties: {
        attempts: {type: 'integer', minimum: 0},
        perTryTimeout: duration,
        retryOn: {type: 'string'},
        retriableStatusCodes: {type: 'array', items: {type: 'integer', minimum: 100, maximum: 599}},
      },
      required: ['attempts'],
      additionalProperties: false,
    },
    requestHeaders: headerOperations,
    responseHeaders: headerOperations,
  },
  additionalProperties: false,
}
const tlsChoice = {enum: ['none', 'simple', 'mutual', 'passthrough']}

export const scaffoldSpecSchema = {
  type: 'object',
  properties: {
    name: k8sName,
    namespace: k8sName,
    api: {enum: ['istio', 'gateway-api']},
    gateway: {
      type: 'object',
      properties: {
        name: k8sName,
        existing: {type: 'boolean'},
        namespace: k8sName,
        labels,
        selector: labels,
        hosts: hostList,
        tls: tlsChoice,
        credential: k8sName,
        generateCert: {type: 'boolean'},
        httpsRedirect: {type: 'boolean'},
        servers: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            properties: {
              port: {type: 'integer', minimum: 1, maximum: 65535},
              name: {type: 'string', pattern: dnsLabelish},
              protocol: {enum: ['HTTP', 'HTTPS', 'TLS']},
              hosts: hostList,
              tls: {
                type: 'object',
                properties: {mode: {enum: ['SIMPLE', 'MUTUAL', 'PASSTHROUGH']}, credential: k8sName, httpsRedirect: {type: 'boolean'}},
                additionalProperties: false,
              },
            },
            required: ['port', 'hosts'],
            additionalProperties: false,
          },
        },
      },
      additionalProperties: false,
    },
    virtualServices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {name: k8sName, hosts: hostList, routes: {type: 'array', minItems: 1, items: route}},
        required: ['routes'],
        additionalProperties: false,
      },
    },
    destinationRules: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: k8sName,
          host: {type: 'string', minLength: 1},
          subsets: {
            type: 'array',
            items: {type: 'object', properties: {name: k8sName, labels}, required: ['name'], additionalProperties: false},
          },
          loadBalancer: {enum: ['ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH']},
          connectionPool: {
            type: 'object',
            properties: {
              tcp: {type: 'object', properties: {maxConnections: {type: 'integer'}, connectTimeout: duration, idleTimeout: duration}, additionalProperties: false},
              http: {
                type: 'object',
                properties: {
                  h2UpgradePolicy: {enum: ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']},
                  http1MaxPendingRequests: {type: 'integer'},
                  http2MaxRequests: {type: 'integer'},
                  maxRequestsPerConnection: {type: 'integer'},
                  maxRetries: {type: 'integer'},
                  idleTimeout: duration,
                },
                additionalProperties: false,
              },
            },
            additionalProperties: false,
          },
          outlierDetection: {
            type: 'object',
            properties: {
              consecutive5xxErrors: {type: 'integer', minimum: 0},
              consecutiveGatewayErrors: {type: 'integer', minimum: 0},
              interval: duration,
              baseEjectionTime: duration,
              maxEjectionPercent: {type: 'integer', minimum: 0, maximum: 100},
              minHealthPercent: {type: 'integer', minimum: 0, maximum: 100},
            },
            additionalProperties: false,
          },
        },
        required: ['host'],
        additionalProperties: false,
      },
    },
    rateLimit: {
      type: 'object',
      properties: {
        name: k8sName,
        namespace: k8sName,
        scope: {type: 'string', enum: ['hosts', 'gateway']},
        requests: {type: 'string', pattern: '^[1-9][0-9]*/(s|m|h)$', 'x-hint': 'write requests per unit (at least 1) like 100/s or 6000/m'},
        maxTokens: {type: 'integer', minimum: 1},
        tokensPerFill: {type: 'integer', minimum: 1},
        fillInterval: duration,
      },
      additionalProperties: false,
    },
    hpa: {
      type: 'object',
      properties: {
        name: k8sName,
        deployment: k8sName,
        min: {type: 'integer', minimum: 1},
        max: {type: 'integer', minimum: 1},
        cpu: {type: 'integer', minimum: 1, maximum: 100, 'x-hint': 'target CPU utilisation in percent, e.g. 70'},
      },
      required: ['min', 'max', 'cpu'],
      additionalProperties: false,
    },
    pdb: {
      type: 'object',
      properties: {
        name: k8sName,
        minAvailable: {type: ['integer', 'string'], pattern: '^[0-9]+%$'},
        maxUnavailable: {type: ['integer', 'string'], pattern: '^[0-9]+%$'},
      },
      additionalProperties: false,
    },
    egress: {
      type: 'object',
      properties: {name: k8sName, host: {type: 'string', minLength: 1}, tls: {enum: ['none', 'passthrough', 'originate']}, selector: labels},
      required: ['host'],
      additionalProperties: false,
    },
  },
  required: ['name'],
  additionalProperties: false,
} as const
