import type {X509Certificate as NodeX509Certificate, KeyObject} from 'node:crypto'
import type {GwContext} from '../context.ts'
import {UsageError} from '../errors.ts'
import {KubeApiError} from '../kube/api-errors.ts'
import {servedIstioApis} from '../istio/api-versions.ts'
import {findGatewayWorkload, labelSelectorString} from '../istio/gateway-workload.ts'
import {credentialFinding, type CredentialFinding} from './findings.ts'
import {hostCoveredBy} from '../istio/hosts.ts'
import {credentialNamespace as istioCredentialNamespace, credentialReferences, type CredentialReference} from '../istio/credentials.ts'
import type {IstioGateway} from '../istio/types.ts'
import {cacertSecretName} from '../istio/credentials.ts'
import {caSecretAnnotation, managedByLabel, managedByValue, roleOf, secretMaterial, tlsSecretType, type CredentialRole, type Secret} from './secrets.ts'

export type {CredentialReference}

export const expiringSoonDays = 30
const dayMs = 86_400_000

export interface CertificateDetails {
  subject: string
  issuer: string
  /** `DNS:name` / `IP:address`. */
  sans: string[]
  serial: string
  notBefore: string
  notAfter: string
  /** Whole days until notAfter; negative once expired. */
  daysLeft: number
  /** ecdsa-p256, rsa-2048, ... */
  keyType: string
  isCa: boolean
}

/** One Gateway server that reads this secret. */
export interface GatewayUse {
  namespace: string
  name: string
  port?: number
  mode?: string
  hosts: string[]
  /** Hosts the certificate's SANs do not cover (wildcards by TLS rules). */
  uncoveredHosts: string[]
  /** Namespace of the gateway pods, where Istio looks for the secret; absent when no pod matches. */
  workloadNamespace?: string
}

/** self-signed: a root (a CA, or a certificate trusted only by pinning); no-ca: nothing to verify against. */
export type ChainStatus = 'verified' | 'failed' | 'no-ca' | 'self-signed'

export interface InspectedSecret {
  namespace: string
  name: string
  type: string
  role: CredentialRole
  managedByKubectlGw: boolean
  /** The leaf certificate (or, for a -cacert secret, the CA certificate); absent when unreadable. */
  certificate?: CertificateDetails
  /** Certificates in tls.crt (leaf plus intermediates). */
  chainLength: number
  /** Whether tls.key is the key of the certificate; absent when either is missing or unreadable. */
  keyMatches?: boolean
  /** The CA that verifies clients for MUTUAL: ca.crt / cacert in the secret, or the NAME-cacert secret. */
  caCertificate?: CertificateDetails & {source: string}
  /** Whether the certificate chains to caCertificate. */
  chain: ChainStatus
  gateways: GatewayUse[]
  findings: CredentialFinding[]
}

export interface InspectReport {
  summary: {secrets: number; errors: number; warnings: number; infos: number}
  secrets: InspectedSecret[]
  /** What could not be checked and why (Istio not installed, Gateways not readable, ...). */
  notes: string[]
}

/** Everything analysis needs, fetched beforehand: the analysis itself reads no cluster. */
export interface CredentialSnapshot {
  secrets: Secret[]
  /** NAME-cacert secrets that may complete a MUTUAL credential, by "namespace/name". */
  cacertSecrets: Map<string, Secret>
  references: CredentialReference[]
  /** "namespace/name" of every referenced credential that exists in its gateway workload namespace. */
  presentInWorkloadNamespace: Set<string>
  now: Date
}

const certificateBlock = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

type Crypto = typeof import('node:crypto')

/** Parses every PEM certificate block; undefined when there is none or one is garbage. */
function parseCertificates(crypto: Crypto, pem: string): NodeX509Certificate[] | undefined {
  const blocks = pem.match(certificateBlock)
  if (!blocks) return undefined
  try {
    return blocks.map((block) => new crypto.X509Certificate(block))
  } catch {
    return undefined
  }
}

function parsePrivateKey(crypto: Crypto, pem: string): KeyObject | undefined {
  try {
    return crypto.createPrivateKey(pem)
  } catch {
    return undefined
  }
}

function publicKeyType(key: KeyObject): string {
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'rsa') return `rsa-${details?.modulusLength}`
  if (key.asymmetricKeyType === 'ec') return details?.namedCurve === 'prime256v1' ? 'ecdsa-p256' : `ecdsa-${details?.namedCurve}`
  return key.asymmetricKeyType ?? 'unknown'
}

function oneLine(name: string): string {
  return name.split('\n').join(', ')
}

function sansOf(cert: NodeX509Certificate): string[] {
  if (!cert.subjectAltName) return []
  return cert.subjectAltName.split(', ').map((entry) => entry.replace(/^IP Address:/, 'IP:'))
}

function details(cert: NodeX509Certificate, now: Date): CertificateDetails {
  const notAfter = new Date(cert.validTo)
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    sans: sansOf(cert),
    serial: cert.serialNumber.toLowerCase(),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / dayMs),
    keyType: publicKeyType(cert.publicKey),
    isCa: cert.ca,
  }
}

/** Walks leaf -> intermediates -> a certificate in `trusted`, checking issuer names and signatures. */
function chainVerifies(leaf: NodeX509Certificate, intermediates: NodeX509Certificate[], trusted: NodeX509Certificate[]): boolean {
  let current = leaf
  for (let depth = 0; depth <= intermediates.length; depth++) {
    if (trusted.some((ca) => current.checkIssued(ca) && current.verify(ca.publicKey))) return true
    const next = intermediates.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey))
    if (!next) return false
    current = next
  }
  return false
}

/** How to renew, as a command: a server certificate is rotated in place from its CA; a CA, client or self-signed one is re-issued. */
function renewHint(secret: {role: CredentialRole; namespace: string; name: string; certificate?: CertificateDetails}, leaf: boolean): string {
  if (leaf && secret.role === 'server') return `kubectl gw certs rotate ${secret.name} -n ${secret.namespace}`
  const hosts = (secret.certificate?.sans ?? []).filter((s) => s.startsWith('DNS:')).map((s) => `--host ${s.slice(4)}`)
  return `kubectl gw certs create ${secret.name.replace(/-(ca|cacert|client-.*)$/, '')} -n ${secret.namespace} ${hosts.join(' ') || '--host HOST'} --overwrite`
}

function expiryFindings(what: string, cert: CertificateDetails, now: Date, renew: string): CredentialFinding[] {
  if (new Date(cert.notAfter) <= now) return [credentialFinding('CertificateExpired', `${what} expired ${cert.notAfter} (${-cert.daysLeft} days ago)`, {hint: renew})]
  if (new Date(cert.notBefore) > now) return [credentialFinding('GatewayCredentialInvalid', `${what} is not valid before ${cert.notBefore}`, {hint: renew})]
  if (cert.daysLeft < expiringSoonDays) return [credentialFinding('CertificateExpiringSoon', `${what} expires in ${cert.daysLeft} days (${cert.notAfter})`, {hint: renew})]
  return []
}

function guessRole(secret: Secret, material: ReturnType<typeof secretMaterial>, crypto: Crypto): CredentialRole {
  const labelled = roleOf(secret)
  if (labelled) return labelled
  if (!material.certificate && material.caCertificate && secret.metadata.name?.endsWith('-cacert')) return 'cacert'
  const certs = material.certificate ? parseCertificates(crypto, material.certificate.pem) : undefined
  return certs?.[0]?.ca ? 'ca' : 'server'
}

/** True for the secrets inspect looks at when none is named: TLS type, TLS or generic cert keys, or a -cacert. */
export function looksLikeTlsSecret(secret: Secret): boolean {
  const keys = Object.keys({...secret.data, ...secret.stringData})
  if (secret.type === tlsSecretType) return true
  if (keys.includes('tls.crt') || keys.includes('cert')) return true
  return Boolean(secret.metadata.name?.endsWith('-cacert')) && (keys.includes('cacert') || keys.includes('ca.crt'))
}

function key(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`
}

/** Which references point at this secret: same name, and the workload namespace if it is known. */
function referencesTo(secret: Secret, credentialName: string, snapshot: CredentialSnapshot): {reference: CredentialReference; wrongNamespace: boolean}[] {
  const namespace = secret.metadata.namespace
  return snapshot.references
    .filter((r) => r.credentialName === credentialName)
    .flatMap((reference): {reference: CredentialReference; wrongNamespace: boolean}[] => {
      if (!reference.workloadNamespace || reference.workloadNamespace === namespace) return [{reference, wrongNamespace: false}]
      // Another namespace: this secret is what the user meant only if none sits where Istio looks.
      if (snapshot.presentInWorkloadNamespace.has(key(reference.workloadNamespace, credentialName))) return []
      return [{reference, wrongNamespace: true}]
    })
}

function analyzeSecret(crypto: Crypto, secret: Secret, snapshot: CredentialSnapshot): InspectedSecret {
  const {now} = snapshot
  const namespace = secret.metadata.namespace ?? ''
  const name = secret.metadata.name ?? ''
  const type = secret.type ?? 'Opaque'
  const material = secretMaterial(secret)
  const role = guessRole(secret, material, crypto)
  const findings: CredentialFinding[] = []
  const result: InspectedSecret = {
    namespace,
    name,
    type,
    role,
    managedByKubectlGw: secret.metadata.labels?.[managedByLabel] === managedByValue,
    // Declared up front (undefined is left out of JSON) so -o json keys come in reading order.
    certificate: undefined,
    chainLength: 0,
    keyMatches: undefined,
    caCertificate: undefined,
    chain: 'no-ca',
    gateways: [],
    findings,
  }

  // The CA that verifies clients: in the secret itself, else Istio's NAME-cacert companion.
  const companion = snapshot.cacertSecrets.get(key(namespace, cacertSecretName(name)))
  const companionCa = companion && role !== 'cacert' ? secretMaterial(companion).caCertificate : undefined
  const caSource = material.caCertificate ? {pem: material.caCertificate.pem, source: material.caCertificate.field} : companionCa ? {pem: companionCa.pem, source: `secret ${cacertSecretName(name)}`} : undefined
  let trusted: NodeX509Certificate[] | undefined
  if (caSource) {
    trusted = parseCertificates(crypto, caSource.pem)
    const first = trusted?.[0]
    if (first) {
      result.caCertificate = {...details(first, now), source: caSource.source}
      findings.push(...expiryFindings(`CA certificate (${caSource.source})`, result.caCertificate, now, renewHint(result, false)))
    } else {
      findings.push(credentialFinding('GatewayCredentialInvalid', `${caSource.source} is not a valid PEM certificate`))
    }
  }

  if (role === 'cacert') {
    if (result.caCertificate) result.certificate = result.caCertificate
    else if (!caSource) findings.push(credentialFinding('GatewayCredentialInvalid', `secret has no cacert or ca.crt key (type ${type})`))
    const base = name.replace(/-cacert$/, '')
    result.gateways = referencesTo(secret, base, snapshot)
      .filter(({reference}) => reference.mode === 'MUTUAL')
      .map(({reference}) => ({...gatewayUse(reference), uncoveredHosts: []}))
    return withSummaryOrder(result)
  }

  let leafCerts: NodeX509Certificate[] | undefined
  if (!material.certificate) {
    findings.push(credentialFinding('GatewayCredentialInvalid', `secret has no tls.crt or cert key (type ${type}, keys: ${Object.keys(secret.data ?? {}).join(', ') || 'none'})`))
  } else {
    leafCerts = parseCertificates(crypto, material.certificate.pem)
    if (!leafCerts) findings.push(credentialFinding('GatewayCredentialInvalid', `${material.certificate.field} is not a valid PEM certificate`))
  }
  const leaf = leafCerts?.[0]
  if (leaf && leafCerts) {
    result.certificate = details(leaf, now)
    result.chainLength = leafCerts.length
    findings.push(...expiryFindings('certificate', result.certificate, now, renewHint(result, role !== 'ca')))
    if (leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey)) {
      result.chain = 'self-signed'
    } else if (trusted && trusted.length > 0) {
      result.chain = chainVerifies(leaf, leafCerts.slice(1), trusted) ? 'verified' : 'failed'
      if (result.chain === 'failed') {
        findings.push(
          credentialFinding('CertificateChainUnverified', `certificate is not issued by the CA in ${caSource?.source}`, {level: role === 'client' ? 'warning' : 'info'}),
        )
      }
    }
  }
  if (!material.privateKey) {
    findings.push(credentialFinding('GatewayCredentialInvalid', `secret has no ${material.certificate?.field === 'cert' ? 'key' : 'tls.key'} key`))
  } else {
    const privateKey = parsePrivateKey(crypto, material.privateKey.pem)
    if (!privateKey) findings.push(credentialFinding('GatewayCredentialInvalid', `${material.privateKey.field} is not a valid unencrypted PEM private key`))
    else if (leaf) {
      result.keyMatches = leaf.checkPrivateKey(privateKey)
      if (!result.keyMatches) findings.push(credentialFinding('CertificateKeyMismatch', `${material.privateKey.field} is not the key of ${material.certificate?.field}`))
    }
  }

  const sanValues = result.certificate?.sans.map((s) => s.slice(s.indexOf(':') + 1)) ?? []
  // Re-creating from the recorded CA keeps clients' trust; --mutual keeps the CA for verifying them.
  const recordedCa = secret.metadata.annotations?.[caSecretAnnotation]
  const recreateFlags = `${material.caCertificate || companionCa ? ' --mutual' : ''}${recordedCa ? ` --ca-secret ${recordedCa}` : ''}`
  const hasClientCa = Boolean(trusted?.length)
  for (const {reference, wrongNamespace} of referencesTo(secret, name, snapshot)) {
    const use = gatewayUse(reference)
    const gatewayName = `Gateway ${reference.gateway.namespace}/${reference.gateway.name}${reference.port ? ` port ${reference.port}` : ''}`
    if (result.certificate) {
      use.uncoveredHosts = reference.hosts.filter((h) => hostCoveredBy(h, sanValues) === false)
      if (use.uncoveredHosts.length > 0) {
        findings.push(
          credentialFinding('CertificateHostMismatch', `${gatewayName} serves ${use.uncoveredHosts.join(', ')}, not covered by the certificate's SANs (${result.certificate.sans.join(', ') || 'none'})`, {
            hint: `kubectl gw certs create ${name} -n ${namespace} --host ${[...new Set([...sanValues, ...use.uncoveredHosts])].join(' --host ')}${recreateFlags} --overwrite`,
          }),
        )
      }
    }
    if (reference.mode === 'MUTUAL' && !hasClientCa && !reference.hasCaCertCredentialName) {
      findings.push(credentialFinding('MutualTlsMissingCaCert', `${gatewayName} is MUTUAL but neither ca.crt/cacert nor secret ${cacertSecretName(name)} holds a CA to verify clients`))
    }
    if (wrongNamespace) {
      findings.push(
        credentialFinding('GatewayCredentialWrongNamespace', `${gatewayName} reads "${name}" from namespace "${reference.workloadNamespace}" (its gateway pods'), but the secret is in "${namespace}"`, {
          hint: `kubectl get secret ${name} -n ${namespace} -o yaml | grep -Ev '^  (resourceVersion|uid|creationTimestamp):' | sed 's/^  namespace: .*/  namespace: ${reference.workloadNamespace}/' | kubectl apply -f -`,
        }),
      )
    }
    result.gateways.push(use)
  }
  return withSummaryOrder(result)
}

function gatewayUse(reference: CredentialReference): GatewayUse {
  return {
    namespace: reference.gateway.namespace,
    name: reference.gateway.name,
    ...(reference.port !== undefined ? {port: reference.port} : {}),
    ...(reference.mode ? {mode: reference.mode} : {}),
    hosts: reference.hosts,
    uncoveredHosts: [],
    ...(reference.workloadNamespace ? {workloadNamespace: reference.workloadNamespace} : {}),
  }
}

const levelOrder = {error: 0, warning: 1, info: 2}

function withSummaryOrder(result: InspectedSecret): InspectedSecret {
  result.findings.sort((a, b) => levelOrder[a.level] - levelOrder[b.level])
  return result
}

/** The pure half of `certs inspect`: a report from a snapshot, no cluster access. */
export async function analyzeCredentials(snapshot: CredentialSnapshot, notes: string[] = []): Promise<InspectReport> {
  const crypto = await import('node:crypto')
  const secrets = [...snapshot.secrets]
    .sort((a, b) => key(a.metadata.namespace, a.metadata.name).localeCompare(key(b.metadata.namespace, b.metadata.name)))
    .map((secret) => analyzeSecret(crypto, secret, snapshot))
  const all = secrets.flatMap((s) => s.findings)
  return {
    summary: {
      secrets: secrets.length,
      errors: all.filter((f) => f.level === 'error').length,
      warnings: all.filter((f) => f.level === 'warning').length,
      infos: all.filter((f) => f.level === 'info').length,
    },
    secrets,
    notes,
  }
}

export interface InspectRequest {
  /** One secret by name; all TLS-looking secrets when absent. */
  name?: string
  namespaceFlag?: string
  allNamespaces: boolean
  selector: Record<string, string>
}

async function gatewaysOrNote(ctx: GwContext, notes: string[]): Promise<IstioGateway[]> {
  const apis = servedIstioApis(await ctx.kube.discovery())
  if (!apis.preferredNetworkingVersion) {
    notes.push('networking.istio.io is not served (Istio not installed?): Gateway usage not checked')
    return []
  }
  try {
    return await ctx.kube.list<IstioGateway>(`networking.istio.io/${apis.preferredNetworkingVersion}`, 'Gateway')
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 403) {
      notes.push('cannot list Gateways in all namespaces (forbidden): Gateway usage not checked')
      return []
    }
    throw error
  }
}

const forbiddenPodsNote = 'cannot list pods in all namespaces (forbidden): gateway workload namespaces unknown'

/** The gateway pods' namespace, or undefined (with a note) when none match or pods may not be listed. */
async function workloadNamespace(ctx: GwContext, selector: Record<string, string>, notes: string[]): Promise<string | undefined> {
  try {
    return istioCredentialNamespace({api: 'istio', namespace: ''}, (await findGatewayWorkload(ctx.kube, selector))?.namespace)
  } catch (error) {
    if (!(error instanceof KubeApiError && error.status === 403)) throw error
    if (!notes.includes(forbiddenPodsNote)) notes.push(forbiddenPodsNote)
    return undefined
  }
}

/** `certs inspect`: fetches secrets, Gateways and gateway workloads, then analyses them. */
export async function inspectCredentials(ctx: GwContext, request: InspectRequest): Promise<InspectReport> {
  const notes: string[] = []
  let scope: string | undefined
  if (!request.allNamespaces) {
    scope = request.namespaceFlag ?? (await workloadNamespace(ctx, request.selector, notes)) ?? (await ctx.namespace())
  }
  let secrets: Secret[]
  const cacertSecrets = new Map<string, Secret>()
  if (request.name) {
    const namespace = scope as string
    const [secret, companion] = await Promise.all([
      ctx.kube.get<Secret>({apiVersion: 'v1', kind: 'Secret', namespace, name: request.name}),
      ctx.kube.get<Secret>({apiVersion: 'v1', kind: 'Secret', namespace, name: cacertSecretName(request.name)}),
    ])
    if (!secret) {
      throw new UsageError(`secret "${request.name}" not found in namespace "${namespace}"`, {
        hint: request.namespaceFlag ? 'check the name and -n' : `looked in the gateway workload namespace; pass -n NAMESPACE to look elsewhere`,
      })
    }
    secrets = [secret]
    if (companion) cacertSecrets.set(key(namespace, companion.metadata.name), companion)
  } else {
    secrets = (await ctx.kube.list<Secret>('v1', 'Secret', {namespace: scope})).filter(looksLikeTlsSecret)
    for (const secret of secrets) if (secret.metadata.name?.endsWith('-cacert')) cacertSecrets.set(key(secret.metadata.namespace, secret.metadata.name), secret)
  }

  const gateways = await gatewaysOrNote(ctx, notes)
  const workloads = new Map<string, string | undefined>()
  for (const gateway of gateways) {
    const selector = gateway.spec?.selector ?? {}
    const selectorKey = labelSelectorString(selector)
    if (!workloads.has(selectorKey)) {
      const namespace = Object.keys(selector).length ? await workloadNamespace(ctx, selector, notes) : undefined
      workloads.set(selectorKey, namespace)
      if (!namespace && !notes.includes(forbiddenPodsNote)) notes.push(`no pods match the selector ${selectorKey || '(empty)'} of some Gateways: their credential namespace is unknown`)
    }
  }
  const references = credentialReferences(gateways, (selector) => workloads.get(labelSelectorString(selector)))

  // Which referenced credentials exist where Istio looks, so a same-named secret elsewhere is judged right.
  const presentInWorkloadNamespace = new Set<string>()
  const inspected = new Set(secrets.map((s) => key(s.metadata.namespace, s.metadata.name)))
  const inspectedNames = new Set(secrets.map((s) => s.metadata.name))
  const toCheck = new Map<string, {namespace: string; name: string}>()
  for (const reference of references) {
    if (!reference.workloadNamespace || !inspectedNames.has(reference.credentialName)) continue
    const id = key(reference.workloadNamespace, reference.credentialName)
    if (inspected.has(id)) presentInWorkloadNamespace.add(id)
    else toCheck.set(id, {namespace: reference.workloadNamespace, name: reference.credentialName})
  }
  await Promise.all(
    [...toCheck.entries()].map(async ([id, ref]) => {
      if (await ctx.kube.get({apiVersion: 'v1', kind: 'Secret', ...ref})) presentInWorkloadNamespace.add(id)
    }),
  )
  return analyzeCredentials({secrets, cacertSecrets, references, presentInWorkloadNamespace, now: ctx.clock.now()}, notes)
}
