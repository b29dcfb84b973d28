import {ApiStatusError} from './status.ts'

/**
 * kubectl's typed `create` commands (create secret|configmap|namespace|serviceaccount|deployment) send
 * Kubernetes protobuf. This decodes that envelope for those kinds; schemas below list the
 * generated.proto field numbers used. Other kinds get a 415 naming the way out (kubectl apply).
 */
type Field = {number: number; wire: number; value: bigint | Buffer}

function readVarint(buffer: Buffer, offset: number): [bigint, number] {
  let result = 0n
  let shift = 0n
  for (let i = offset; i < buffer.length; i++) {
    const byte = buffer[i]!
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return [result, i + 1]
    shift += 7n
  }
  throw new Error('truncated varint')
}

function fields(buffer: Buffer): Field[] {
  const result: Field[] = []
  let offset = 0
  while (offset < buffer.length) {
    const [key, next] = readVarint(buffer, offset)
    offset = next
    const number = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (wire === 0) {
      const [value, after] = readVarint(buffer, offset)
      result.push({number, wire, value})
      offset = after
    } else if (wire === 2) {
      const [length, after] = readVarint(buffer, offset)
      const end = after + Number(length)
      if (end > buffer.length) throw new Error('truncated field')
      result.push({number, wire, value: buffer.subarray(after, end)})
      offset = end
    } else if (wire === 1) {
      result.push({number, wire, value: buffer.subarray(offset, offset + 8)})
      offset += 8
    } else if (wire === 5) {
      result.push({number, wire, value: buffer.subarray(offset, offset + 4)})
      offset += 4
    } else throw new Error(`unsupported wire type ${wire}`)
  }
  return result
}

type Kind = 'string' | 'bytes' | 'bool' | 'int' | 'int0' | 'stringMap' | 'bytesMap' | 'strings' | {message: Schema} | {messages: Schema}
type Schema = Record<number, [string, Kind]>

const objectMeta: Schema = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  11: ['labels', 'stringMap'],
  12: ['annotations', 'stringMap'],
  14: ['finalizers', 'strings'],
}

const localObjectReference: Schema = {1: ['name', 'string']}

const labelSelector: Schema = {1: ['matchLabels', 'stringMap']}
const containerPort: Schema = {1: ['name', 'string'], 2: ['hostPort', 'int0'], 3: ['containerPort', 'int0'], 4: ['protocol', 'string']}
const container: Schema = {1: ['name', 'string'], 2: ['image', 'string'], 3: ['command', 'strings'], 4: ['args', 'strings'], 5: ['workingDir', 'string'], 6: ['ports', {messages: containerPort}], 14: ['imagePullPolicy', 'string']}
const podSpec: Schema = {2: ['containers', {messages: container}], 3: ['restartPolicy', 'string'], 8: ['serviceAccountName', 'string']}
/** apps/v1 Deployment as `kubectl create deployment NAME --image=... [--port] [--replicas]` writes it. */
const deployment: Schema = {
  1: ['metadata', {message: objectMeta}],
  2: ['spec', {message: {1: ['replicas', 'int'], 2: ['selector', {message: labelSelector}], 3: ['template', {message: {1: ['metadata', {message: objectMeta}], 2: ['spec', {message: podSpec}]}}], 4: ['strategy', {message: {1: ['type', 'string']}}], 5: ['minReadySeconds', 'int0'], 6: ['revisionHistoryLimit', 'int'], 9: ['progressDeadlineSeconds', 'int']}}],
}

const schemas: Record<string, Schema> = {
  Deployment: deployment,
  Secret: {1: ['metadata', {message: objectMeta}], 2: ['data', 'bytesMap'], 3: ['type', 'string'], 4: ['stringData', 'stringMap'], 5: ['immutable', 'bool']},
  ConfigMap: {1: ['metadata', {message: objectMeta}], 2: ['data', 'stringMap'], 3: ['binaryData', 'bytesMap'], 4: ['immutable', 'bool']},
  Namespace: {1: ['metadata', {message: objectMeta}], 2: ['spec', {message: {1: ['finalizers', 'strings']}}]},
  ServiceAccount: {1: ['metadata', {message: objectMeta}], 3: ['imagePullSecrets', {messages: localObjectReference}], 4: ['automountServiceAccountToken', 'bool']},
}

function decodeMessage(buffer: Buffer, schema: Schema): Record<string, unknown> {
  const object: Record<string, unknown> = {}
  for (const field of fields(buffer)) {
    const entry = schema[field.number]
    if (!entry) continue
    const [name, kind] = entry
    const bytes = field.value as Buffer
    if (kind === 'string') {
      // gogo-protobuf writes empty strings; JSON omits them.
      if (bytes.length > 0) object[name] = bytes.toString('utf8')
    }
    else if (kind === 'bytes') object[name] = bytes.toString('base64')
    else if (kind === 'bool') object[name] = field.value !== 0n
    else if (kind === 'int') object[name] = Number(field.value)
    // A plain (non-pointer) int32 is omitempty in JSON: gogo-protobuf writes its zero, the apiserver drops it.
    else if (kind === 'int0') {
      if (field.value !== 0n) object[name] = Number(field.value)
    }
    else if (kind === 'strings') object[name] = [...((object[name] as string[] | undefined) ?? []), bytes.toString('utf8')]
    else if (kind === 'stringMap' || kind === 'bytesMap') {
      const pair = fields(bytes)
      const key = (pair.find((f) => f.number === 1)?.value as Buffer | undefined)?.toString('utf8') ?? ''
      const value = (pair.find((f) => f.number === 2)?.value as Buffer | undefined) ?? Buffer.alloc(0)
      object[name] = {...((object[name] as object | undefined) ?? {}), [key]: kind === 'stringMap' ? value.toString('utf8') : value.toString('base64')}
    } else if ('message' in kind) object[name] = decodeMessage(bytes, kind.message)
    else object[name] = [...((object[name] as unknown[] | undefined) ?? []), decodeMessage(bytes, kind.messages)]
  }
  return object
}

const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00])

/** Decodes a `k8s\0`-prefixed runtime.Unknown into the JSON object it carries. */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(magic)) throw new ApiStatusError(400, 'BadRequest', 'the body of the request was not Kubernetes protobuf (missing k8s\\0 prefix)')
  let envelope: Field[]
  try {
    envelope = fields(body.subarray(4))
  } catch (error) {
    throw new ApiStatusError(400, 'BadRequest', `could not decode protobuf: ${(error as Error).message}`)
  }
  const typeMeta = decodeMessage((envelope.find((f) => f.number === 1)?.value as Buffer | undefined) ?? Buffer.alloc(0), {1: ['apiVersion', 'string'], 2: ['kind', 'string']}) as {apiVersion?: string; kind?: string}
  const raw = (envelope.find((f) => f.number === 2)?.value as Buffer | undefined) ?? Buffer.alloc(0)
  const schema = schemas[typeMeta.kind ?? '']
  if (!schema) {
    throw new ApiStatusError(415, 'UnsupportedMediaType', `the sandbox accepts ${typeMeta.kind ?? 'this kind'} as JSON or YAML only, not protobuf: write it with kubectl apply -f (e.g. kubectl create ... --dry-run=client -o yaml | kubectl apply -f -)`)
  }
  return {apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(raw, schema)}
}
