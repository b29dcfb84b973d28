import {UsageError} from '../errors.ts'
import {cacertSecretName} from '../istio/credentials.ts'
import type {Secret} from '../kube/objects.ts'
import type {CredentialBundle} from './issue.ts'

export type {Secret}

export const managedByLabel = 'app.kubernetes.io/managed-by'
export const managedByValue = 'kubectl-gw'
/** The credential (server secret name) a secret belongs to: ties NAME, NAME-ca, NAME-cacert, NAME-client-X together. */
export const credentialLabel = 'kubectl-gw.io/credential'
export const roleLabel = 'kubectl-gw.io/role'
/** On the server secret: the secret holding the CA that signed it, for `rotate`. */
export const caSecretAnnotation = 'kubectl-gw.io/ca-secret'
/** On the server secret: "external" when the CA key was given as files and is kept out of the cluster. */
export const caSourceAnnotation = 'kubectl-gw.io/ca-source'

export type CredentialRole = 'server' | 'ca' | 'cacert' | 'client'

export const tlsSecretType = 'kubernetes.io/tls'
export const redactedPlaceholder = 'REDACTED (private key hidden; pass --show-secrets to print it)'

export const caSecretName = (credential: string) => `${credential}-ca`
/** The name Istio's SDS asks for (`kubernetes://NAME-cacert`) before falling back to NAME's own ca.crt. */
/** The client certificate `--mutual` issues when no --client is named. */
export const defaultClientName = 'client'
/** NAME-client for the default client (not NAME-client-client), NAME-client-X for a named one. */
export const clientSecretName = (credential: string, client: string) => (client === defaultClientName ? `${credential}-client` : `${credential}-client-${client}`)

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Secret names are DNS-1123 subdomains; the derived NAME-client-X names must be too. */
export function validateSecretName(name: string, what: string): void {
  if (name.length > 253 || !dns1123Subdomain.test(name)) {
    throw new UsageError(`invalid ${what} "${name}": a secret name must be a DNS-1123 subdomain`, {hint: "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"})
  }
}

export function validateClientName(credential: string, client: string): void {
  if (client.length > 63 || !dns1123Label.test(client)) {
    throw new UsageError(`invalid --client "${client}": a client name must be a DNS-1123 label`, {hint: "lower-case letters, digits and '-', at most 63 characters"})
  }
  validateSecretName(clientSecretName(credential, client), `--client "${client}" (secret name)`)
}

/** Where `rotate` will find the CA again. */
export type CaStorage =
  /** A CA we generated: kept in NAME-ca beside the credential. */
  | {kind: 'store'}
  /** A CA already in the cluster (--ca-secret): recorded, not copied. */
  | {kind: 'secret'; name: string}
  /** A CA given as files: its key stays with the user, never copied into the cluster. */
  | {kind: 'external'}

export interface CredentialSecretsOptions {
  mutual: boolean
  /** MUTUAL: put the CA in NAME-cacert (key `cacert`) instead of `ca.crt` in the credential secret. */
  separateCaSecret?: boolean
  caStorage: CaStorage
}

function base64(text: string): string {
  return Buffer.from(text).toString('base64')
}

function secret(name: string, namespace: string, credential: string, role: CredentialRole, type: string, data: Record<string, string>, annotations?: Record<string, string>): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      labels: {[managedByLabel]: managedByValue, [credentialLabel]: credential, [roleLabel]: role},
      ...(annotations ? {annotations} : {}),
    },
    type,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, base64(v)])),
  }
}

/**
 * The Secrets for one gateway credential, in the format Istio's SDS reads
 * (pilot/pkg/credentials/kube/secrets.go): NAME (kubernetes.io/tls, tls.crt/tls.key, plus ca.crt
 * for MUTUAL), or NAME-cacert (`cacert`) when asked, NAME-ca with a CA we generated, and one
 * NAME-client-X per client. Ordered so that nothing refers to a secret written after it.
 */
export function credentialSecrets(name: string, namespace: string, bundle: CredentialBundle, options: CredentialSecretsOptions): Secret[] {
  const secrets: Secret[] = []
  const annotations: Record<string, string> = {}
  if (options.caStorage.kind === 'store') {
    secrets.push(secret(caSecretName(name), namespace, name, 'ca', tlsSecretType, {'tls.crt': bundle.ca.certificate, 'tls.key': bundle.ca.privateKey}))
    annotations[caSecretAnnotation] = caSecretName(name)
  } else if (options.caStorage.kind === 'secret') {
    annotations[caSecretAnnotation] = options.caStorage.name
  } else {
    annotations[caSourceAnnotation] = 'external'
  }
  const serverData: Record<string, string> = {'tls.crt': bundle.server.certificate, 'tls.key': bundle.server.privateKey}
  if (options.mutual && options.separateCaSecret) {
    secrets.push(secret(cacertSecretName(name), namespace, name, 'cacert', 'Opaque', {cacert: bundle.ca.certificate}))
  } else if (options.mutual) {
    serverData['ca.crt'] = bundle.ca.certificate
  }
  secrets.push(secret(name, namespace, name, 'server', tlsSecretType, serverData, annotations))
  for (const client of bundle.clients) {
    secrets.push(
      secret(clientSecretName(name, client.name), namespace, name, 'client', tlsSecretType, {
        'tls.crt': client.certificate,
        'tls.key': client.privateKey,
        'ca.crt': bundle.ca.certificate,
      }),
    )
  }
  return secrets
}

const privateKeyFields = ['tls.key', 'key']

/** A copy fit to print: private key fields replaced by a placeholder that says how to see them. */
export function redactSecret(object: Secret): Secret {
  const data = object.data ? {...object.data} : undefined
  for (const field of privateKeyFields) if (data?.[field] !== undefined) data[field] = redactedPlaceholder
  return {...object, ...(data ? {data} : {})}
}

/** The PEM parts of a credential secret, read with Istio's precedence (generic keys first). */
export interface SecretMaterial {
  certificate?: {field: string; pem: string}
  privateKey?: {field: string; pem: string}
  caCertificate?: {field: string; pem: string}
}

function decodeField(secret: Secret, field: string): string | undefined {
  const value = secret.data?.[field] ?? undefined
  if (value !== undefined) return Buffer.from(value, 'base64').toString('utf8')
  return secret.stringData?.[field]
}

function firstField(secret: Secret, fields: string[]): {field: string; pem: string} | undefined {
  for (const field of fields) {
    const pem = decodeField(secret, field)
    if (pem !== undefined) return {field, pem}
  }
  return undefined
}

/** Reads a secret the way Istio does: `cert`/`key` before `tls.crt`/`tls.key`; `cacert` before `ca.crt`. */
export function secretMaterial(secret: Secret): SecretMaterial {
  const generic = decodeField(secret, 'cert') !== undefined
  return {
    certificate: firstField(secret, generic ? ['cert'] : ['tls.crt']),
    privateKey: firstField(secret, generic ? ['key'] : ['tls.key']),
    caCertificate: firstField(secret, ['cacert', 'ca.crt']),
  }
}

export function roleOf(secret: Secret): CredentialRole | undefined {
  const role = secret.metadata.labels?.[roleLabel]
  return role === 'server' || role === 'ca' || role === 'cacert' || role === 'client' ? role : undefined
}
