import type {StatusCause} from './status.ts'
import {importModelModule} from './model-modules.ts'
import {isObject, type Json} from './patch.ts'

interface SchemaError {
  instancePath: string
  keyword: string
  params: Record<string, unknown>
  message?: string
}

type Validator = (object: Json) => SchemaError[]

/** Istio kinds validated against the schemas shipped in @kubernetes-models/istio (generated from Istio's CRDs). */
const istioModels: Record<string, string[]> = {
  v1: ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'],
  v1beta1: ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar'],
  v1alpha3: ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry', 'Sidecar', 'EnvoyFilter'],
}

const validators = new Map<string, Promise<Validator | undefined>>()

async function loadIstioValidator(version: string, kind: string): Promise<Validator | undefined> {
  if (!istioModels[version]?.includes(kind)) return undefined
  const module = (await importModelModule(`@kubernetes-models/istio/networking.istio.io/${version}/${kind}`)) as Record<string, new (data: unknown) => {validate(): void}>
  return modelValidator(module[kind]!)
}

/** A kubernetes-models class as a validator: its schema errors, or none. */
function modelValidator(Model: new (data: unknown) => {validate(): void}): Validator {
  return (object) => {
    try {
      new Model(object).validate()
      return []
    } catch (error) {
      const errors = (error as {errors?: SchemaError[]}).errors
      if (!errors) throw error
      return errors
    }
  }
}

function istioValidator(version: string, kind: string): Promise<Validator | undefined> {
  const key = `${version}/${kind}`
  let validator = validators.get(key)
  if (!validator) {
    validator = loadIstioValidator(version, kind)
    validators.set(key, validator)
  }
  return validator
}

/** Gateway API kinds validated against the schemas in @kubernetes-models/gateway-api (generated from its CRDs). */
const gatewayApiModels: Record<string, string[]> = {v1: ['Gateway', 'GatewayClass', 'HTTPRoute', 'GRPCRoute'], v1beta1: ['ReferenceGrant']}

function gatewayApiValidator(version: string, kind: string): Promise<Validator | undefined> {
  const key = `gateway-api/${version}/${kind}`
  let validator = validators.get(key)
  if (!validator) {
    validator = gatewayApiModels[version]?.includes(kind)
      ? importModelModule(`@kubernetes-models/gateway-api/gateway.networking.k8s.io/${version}/${kind}`).then((module) => modelValidator((module as Record<string, new (data: unknown) => {validate(): void}>)[kind]!))
      : Promise.resolve(undefined)
    validators.set(key, validator)
  }
  return validator
}

/** "/spec/servers/0/port/number" -> "spec.servers[0].port.number" (the apiserver's field path). */
export function fieldPath(pointer: string): string {
  let text = ''
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    text += /^\d+$/.test(token) ? `[${token}]` : text ? `.${token}` : token
  }
  return text
}

function valueAtPointer(object: Json, pointer: string): Json | undefined {
  let current: Json | undefined = object
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(current)) current = current[Number(token)]
    else if (isObject(current)) current = current[token]
    else return undefined
  }
  return current
}

function join(path: string, child: string): string {
  return path ? `${path}.${child}` : child
}

/** Turns schema errors into the causes a CRD validation failure carries (field, reason, message). */
export function schemaCauses(object: Json, errors: SchemaError[]): StatusCause[] {
  const causes: StatusCause[] = []
  for (const error of errors) {
    const path = fieldPath(error.instancePath)
    if (error.keyword === 'required') {
      const field = join(path, String(error.params.missingProperty))
      causes.push({reason: 'FieldValueRequired', message: 'Required value', field})
      continue
    }
    const value = valueAtPointer(object, error.instancePath)
    const shown = JSON.stringify(value)
    let detail = error.message ?? error.keyword
    if (error.keyword === 'type') detail = `must be of type ${String(error.params.type)}`
    if (error.keyword === 'enum') {
      causes.push({reason: 'FieldValueNotSupported', message: `Unsupported value: ${shown}: supported values: ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, field: path})
      continue
    }
    causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${shown}: ${path} in body ${detail}`, field: path})
  }
  const seen = new Set<string>()
  return causes.filter((c) => {
    const key = `${c.field}|${c.message}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Metadata rules every kind shares: name format (label for namespaces and services), label values. */
export function metadataCauses(object: {metadata?: Record<string, unknown>}, kind: string): StatusCause[] {
  const causes: StatusCause[] = []
  const name = object.metadata?.name
  const labelNamed = kind === 'Namespace' || kind === 'Service'
  if (typeof name !== 'string' || name === '') causes.push({reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name'})
  else if (name.length > (labelNamed ? 63 : 253) || !(labelNamed ? dns1123Label : dns1123Subdomain).test(name)) {
    const rule = labelNamed
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
    causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(name)}: ${rule}`, field: 'metadata.name'})
  }
  const labels = object.metadata?.labels
  if (labels !== undefined && isObject(labels as Json)) {
    for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
      if (typeof value !== 'string' || value.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value)) {
        causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`, field: `metadata.labels`})
      }
      if (!/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(key)) causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.'`, field: 'metadata.labels'})
    }
  }
  return causes
}

function matches(selector: Record<string, unknown>, labels: Record<string, unknown>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v)
}

/** The few built-in rules that catch real mistakes: containers need name+image, selectors must match. */
function builtinCauses(kind: string, object: Record<string, unknown>): StatusCause[] {
  const causes: StatusCause[] = []
  const spec = (isObject(object.spec as Json) ? object.spec : {}) as Record<string, unknown>
  const podSpecCauses = (podSpec: unknown, path: string) => {
    const containers = isObject(podSpec as Json) ? (podSpec as Record<string, unknown>).containers : undefined
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({reason: 'FieldValueRequired', message: 'Required value', field: `${path}.containers`})
      return
    }
    containers.forEach((container: Record<string, unknown>, i) => {
      if (!container?.name) causes.push({reason: 'FieldValueRequired', message: 'Required value', field: `${path}.containers[${i}].name`})
      if (!container?.image) causes.push({reason: 'FieldValueRequired', message: 'Required value', field: `${path}.containers[${i}].image`})
    })
  }
  if (kind === 'Pod') podSpecCauses(spec, 'spec')
  if (kind === 'Deployment' || kind === 'ReplicaSet') {
    const template = (spec.template ?? {}) as {metadata?: {labels?: Record<string, unknown>}; spec?: unknown}
    const selector = (spec.selector ?? {}) as {matchLabels?: Record<string, unknown>}
    if (!selector.matchLabels && !(selector as {matchExpressions?: unknown}).matchExpressions) causes.push({reason: 'FieldValueRequired', message: 'Required value', field: 'spec.selector'})
    else if (selector.matchLabels && !matches(selector.matchLabels, template.metadata?.labels ?? {})) {
      causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(template.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``, field: 'spec.template.metadata.labels'})
    }
    podSpecCauses(template.spec, 'spec.template.spec')
    if (spec.replicas !== undefined && (typeof spec.replicas !== 'number' || spec.replicas < 0)) causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`, field: 'spec.replicas'})
  }
  if (kind === 'Service') {
    const ports = spec.ports
    if (Array.isArray(ports)) {
      ports.forEach((port: Record<string, unknown>, i) => {
        if (typeof port?.port !== 'number' || port.port < 1 || port.port > 65535) causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(port?.port)}: must be between 1 and 65535, inclusive`, field: `spec.ports[${i}].port`})
        if (ports.length > 1 && !port?.name) causes.push({reason: 'FieldValueRequired', message: 'Required value', field: `spec.ports[${i}].name`})
      })
    }
    const type = spec.type
    if (type !== undefined && !['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(type))) {
      causes.push({reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`, field: 'spec.type'})
    }
  }
  if (kind === 'Secret' && object.data !== undefined && isObject(object.data as Json)) {
    for (const [key, value] of Object.entries(object.data as Record<string, unknown>)) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) causes.push({reason: 'FieldValueInvalid', message: 'Invalid value: illegal base64 data', field: `data[${key}]`})
    }
  }
  return causes
}

const jsonType = (value: unknown) => (Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value === 'boolean' ? 'bool' : typeof value)

/**
 * What a real apiserver refuses while decoding, before validation (400): typed fields given the
 * wrong JSON type, e.g. labels written as a list or ConfigMap values written as numbers.
 */
export function decodeError(version: string, kind: string, object: Record<string, unknown>): string | undefined {
  const cannot = (value: unknown, field: string, type: string) => `${kind} in version "${version}" cannot be handled as a ${kind}: json: cannot unmarshal ${jsonType(value)} into Go struct field ${field} of type ${type}`
  const metadata = (isObject(object.metadata as Json) ? object.metadata : {}) as Record<string, unknown>
  for (const field of ['labels', 'annotations']) {
    const value = metadata[field]
    if (value === undefined || value === null) continue
    if (!isObject(value as Json)) return cannot(value, `ObjectMeta.metadata.${field}`, 'map[string]string')
    for (const entry of Object.values(value as Record<string, unknown>)) if (typeof entry !== 'string' && entry !== null) return cannot(entry, `ObjectMeta.metadata.${field}`, 'string')
  }
  if (kind === 'ConfigMap' || kind === 'Secret') {
    for (const field of kind === 'ConfigMap' ? ['data', 'binaryData'] : ['data', 'stringData']) {
      const value = object[field]
      if (value === undefined || value === null) continue
      const type = kind === 'Secret' && field === 'data' ? 'map[string][]uint8' : kind === 'ConfigMap' && field === 'binaryData' ? 'map[string][]uint8' : 'map[string]string'
      if (!isObject(value as Json)) return cannot(value, `${kind}.${field}`, type)
      for (const entry of Object.values(value as Record<string, unknown>)) if (typeof entry !== 'string' && entry !== null) return cannot(entry, `${kind}.${field}`, type === 'map[string]string' ? 'string' : '[]uint8')
    }
  }
  return undefined
}

/** The apiserver's limit on a ConfigMap's or Secret's payload (validation.go MaxSecretSize / MaxConfigMapSize). */
const maxPayloadBytes = 1024 * 1024

function payloadCauses(kind: string, object: Record<string, unknown>): StatusCause[] {
  const causes: StatusCause[] = []
  const map = (field: string) => (isObject(object[field] as Json) ? (object[field] as Record<string, string>) : {})
  if (kind === 'Secret') {
    const data = map('data')
    const size = Object.values(data).reduce((sum, v) => sum + Buffer.from(String(v), 'base64').length, 0)
    if (size > maxPayloadBytes) causes.push({reason: 'FieldValueTooLong', message: `Too long: must have at most ${maxPayloadBytes} bytes`, field: 'data'})
    if (object.type === 'kubernetes.io/tls') {
      for (const key of ['tls.crt', 'tls.key']) if (data[key] === undefined) causes.push({reason: 'FieldValueRequired', message: 'Required value', field: `data[${key}]`})
    }
  }
  if (kind === 'ConfigMap') {
    const size = Object.values(map('data')).reduce((sum, v) => sum + Buffer.byteLength(String(v)), 0) + Object.values(map('binaryData')).reduce((sum, v) => sum + Buffer.from(String(v), 'base64').length, 0)
    if (size > maxPayloadBytes) causes.push({reason: 'FieldValueTooLong', message: `Too long: must have at most ${maxPayloadBytes} bytes`, field: '[]'})
  }
  return causes
}

/** Rules about a change rather than a state: a Secret's type, and an immutable ConfigMap or Secret. */
export function updateCauses(kind: string, current: Record<string, unknown>, next: Record<string, unknown>): StatusCause[] {
  if (kind !== 'Secret' && kind !== 'ConfigMap') return []
  const causes: StatusCause[] = []
  if (kind === 'Secret' && (next.type ?? 'Opaque') !== (current.type ?? 'Opaque')) causes.push({reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(next.type)}: field is immutable`, field: 'type'})
  if (current.immutable === true) {
    const forbidden = 'Forbidden: field is immutable when `immutable` is set'
    for (const field of kind === 'Secret' ? ['data'] : ['data', 'binaryData']) {
      if (JSON.stringify(current[field] ?? {}) !== JSON.stringify(next[field] ?? {})) causes.push({reason: 'FieldValueForbidden', message: forbidden, field})
    }
    if (next.immutable !== true) causes.push({reason: 'FieldValueForbidden', message: forbidden, field: 'immutable'})
  }
  return causes
}

/** All validation failures for an object about to be stored; empty when it is valid. */
export async function validateObject(group: string, version: string, kind: string, object: Record<string, unknown>): Promise<StatusCause[]> {
  const causes = metadataCauses(object as {metadata?: Record<string, unknown>}, kind)
  if (group === 'networking.istio.io' || group === 'gateway.networking.k8s.io') {
    const validator = await (group === 'networking.istio.io' ? istioValidator(version, kind) : gatewayApiValidator(version, kind))
    if (validator) causes.push(...schemaCauses(object as Json, validator(object as Json)))
  } else if (!group || group === 'apps') {
    causes.push(...builtinCauses(kind, object), ...payloadCauses(kind, object))
  }
  return causes
}
