import {X509Certificate, createPrivateKey} from 'node:crypto'
import type {StoredObject} from '../../mesh-contract.ts'
import {obj, type MeshWorld} from '../world.ts'

/**
 * istiod's SDS for gateway credentials (pilot/pkg/credentials/kube/secrets.go, pilot/pkg/xds/sds.go):
 * `kubernetes://NAME` is read from the gateway POD's namespace only; keys `cert`/`key` are tried before
 * `tls.crt`/`tls.key`; the MUTUAL CA `kubernetes://NAME-cacert` comes from a `NAME-cacert` secret
 * (`cacert` or `ca.crt`) or else from `ca.crt`/`cacert` in NAME itself. A missing or invalid secret is
 * never pushed: Envoy keeps the resource in dynamic_warming_secrets ("uninitialized") and the listener
 * that needs it stays warming (initial_fetch_timeout 0s), so nothing answers on that port.
 */

export interface SdsResult {
  name: string
  ok: boolean
  /** Why istiod could not push it (its log line), when not ok. */
  error?: string
  /** Envoy Secret resource (with the real key; redacted when dumped). */
  secret?: Record<string, unknown>
  /** For /certs. */
  certificates?: {pem: string; kind: 'cert' | 'ca'}[]
}

function decode(secret: StoredObject, key: string): string | undefined {
  const data = obj(secret.data)
  if (typeof data[key] === 'string') return Buffer.from(data[key] as string, 'base64').toString('utf8')
  const stringData = obj(secret.stringData)
  return typeof stringData[key] === 'string' ? (stringData[key] as string) : undefined
}

function has(secret: StoredObject, key: string): boolean {
  return decode(secret, key) !== undefined
}

function checkCertificate(pem: string, now: Date): string | undefined {
  try {
    const cert = new X509Certificate(pem)
    if (new Date(cert.validTo) < now || new Date(cert.validFrom) > now) return 'certificate is expired or not yet valid'
    return undefined
  } catch {
    return 'failed to parse certificate PEM'
  }
}

function serverCredential(world: MeshWorld, namespace: string, name: string, now: Date): SdsResult {
  const resource = `kubernetes://${name}`
  const secret = world.secret(namespace, name)
  if (!secret) return {name: resource, ok: false, error: `secret ${namespace}/${name} not found`}
  const [certKey, keyKey] = has(secret, 'cert') || has(secret, 'key') ? ['cert', 'key'] : ['tls.crt', 'tls.key']
  const cert = decode(secret, certKey)
  const key = decode(secret, keyKey)
  if (cert === undefined || key === undefined) {
    const found = Object.keys({...obj(secret.data), ...obj(secret.stringData)}).sort().join(', ')
    return {name: resource, ok: false, error: `found secret, but didn't have expected keys (cert and key) or (tls.crt and tls.key); found: ${found}`}
  }
  if (cert.trim() === '' || key.trim() === '') return {name: resource, ok: false, error: `found keys ${certKey} and ${keyKey}, but they were empty`}
  const problem = checkCertificate(cert, now)
  if (problem) return {name: resource, ok: false, error: `invalid certificates: ${namespace}/${name}: ${problem}`}
  try {
    createPrivateKey(key)
  } catch {
    return {name: resource, ok: false, error: `invalid certificates: ${namespace}/${name}: failed to parse private key`}
  }
  return {
    name: resource,
    ok: true,
    secret: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      name: resource,
      tls_certificate: {certificate_chain: {inline_bytes: Buffer.from(cert).toString('base64')}, private_key: {inline_bytes: Buffer.from(key).toString('base64')}},
    },
    certificates: [{pem: cert, kind: 'cert'}],
  }
}

function caCredential(world: MeshWorld, namespace: string, name: string, now: Date): SdsResult {
  const resource = `kubernetes://${name}-cacert`
  const separate = world.secret(namespace, `${name}-cacert`)
  const own = world.secret(namespace, name)
  const ca = (separate && (decode(separate, 'cacert') ?? decode(separate, 'ca.crt'))) ?? (own && (decode(own, 'ca.crt') ?? decode(own, 'cacert')))
  if (ca === undefined) {
    return {name: resource, ok: false, error: separate || own ? `found secret, but didn't have expected keys cacert or ca.crt` : `secret ${namespace}/${name}-cacert not found`}
  }
  const problem = checkCertificate(ca, now)
  if (problem) return {name: resource, ok: false, error: `invalid CA certificate: ${problem}`}
  return {
    name: resource,
    ok: true,
    secret: {'@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', name: resource, validation_context: {trusted_ca: {inline_bytes: Buffer.from(ca).toString('base64')}}},
    certificates: [{pem: ca, kind: 'ca'}],
  }
}

export function resolveSds(world: MeshWorld, namespace: string, resource: string, now: Date): SdsResult {
  // Gateway API credentials name their namespace (the Gateway's, or one a ReferenceGrant opened).
  const gatewayApi = /^kubernetes-gateway:\/\/([^/]+)\/(.+)$/.exec(resource)
  if (gatewayApi) {
    const [, secretNamespace, secretName] = gatewayApi as unknown as [string, string, string]
    const result = secretName.endsWith('-cacert') ? caCredential(world, secretNamespace, secretName.slice(0, -'-cacert'.length), now) : serverCredential(world, secretNamespace, secretName, now)
    return {...result, name: resource, ...(result.secret ? {secret: {...result.secret, name: resource}} : {})}
  }
  const name = resource.slice('kubernetes://'.length)
  if (name.endsWith('-cacert')) return caCredential(world, namespace, name.slice(0, -'-cacert'.length), now)
  return serverCredential(world, namespace, name, now)
}
