import {X509Certificate} from 'node:crypto'
import type {GwContext} from '../context.ts'
import {ExitCode, GwError, UsageError} from '../errors.ts'
import {caFromSecret, loadCaFiles, type DryRun} from './create.ts'
import {defaultDays, keyTypeOf, reissueServerCertificate, type CertificateAuthority, type KeyType} from './issue.ts'
import {certificateHosts} from './hosts.ts'
import {credentialNamespace, type NamespaceSource} from './placement.ts'
import {caSecretAnnotation, caSourceAnnotation, secretMaterial, type Secret} from './secrets.ts'

export interface RotateRequest {
  name: string
  days?: number
  /** New SANs (validated, deduplicated); default: those of the current certificate. */
  hosts?: string[]
  /** A CA given as files, for credentials created with --ca-cert/--ca-key (their CA is not in the cluster). */
  caFiles?: {certificatePath: string; privateKeyPath: string}
  dryRun: DryRun
  namespaceFlag?: string
  selector: Record<string, string>
}

export interface RotatedCertificate {
  serial: string
  notBefore: string
  notAfter: string
}

export interface RotateResult {
  credential: string
  namespace: string
  namespaceSource: NamespaceSource
  dryRun: DryRun
  hosts: string[]
  keyType: KeyType
  ca: {subject: string; source: string}
  old: RotatedCertificate
  new: RotatedCertificate
  warnings: string[]
}

const dayMs = 86_400_000

function signedBy(cert: X509Certificate, ca: CertificateAuthority): boolean {
  const caCert = new X509Certificate(ca.certificate)
  return cert.checkIssued(caCert) && cert.verify(caCert.publicKey)
}

/** The current certificate, and the hosts the new one names: `newHosts` (--host), else the current SANs in order. */
async function currentCertificate(secret: Secret, where: string, ca: CertificateAuthority, newHosts: string[] | undefined): Promise<{hosts: string[]; cert: RotatedCertificate; validDays: number; keyPem: string}> {
  const material = secretMaterial(secret)
  if (!material.certificate || !material.privateKey) throw new UsageError(`secret ${where} has no tls.crt/tls.key pair to rotate`)
  let cert: X509Certificate
  try {
    cert = new X509Certificate(material.certificate.pem)
  } catch {
    throw new UsageError(`secret ${where}: ${material.certificate.field} is not a valid PEM certificate, so its hosts are unknown`, {
      hint: 'issue a new one with kubectl gw certs create --overwrite',
    })
  }
  const hosts = newHosts ?? certificateHosts(cert)
  if (hosts.length === 0) throw new UsageError(`secret ${where}: the certificate has no DNS or IP SANs to carry over`, {hint: 'issue a new one with kubectl gw certs create --host ... --overwrite'})
  if (!signedBy(cert, ca)) {
    throw new UsageError(`secret ${where}: the current certificate was not issued by the CA "${ca.subject}" (${ca.source})`, {
      hint: 'rotating from another CA would break clients that trust the old one; pass the CA that signed it, or use certs create --overwrite',
    })
  }
  const notBefore = new Date(cert.validFrom)
  const notAfter = new Date(cert.validTo)
  return {
    hosts,
    cert: {serial: cert.serialNumber.toLowerCase(), notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString()},
    validDays: Math.round((notAfter.getTime() - notBefore.getTime()) / dayMs),
    keyPem: material.privateKey.pem,
  }
}

async function rotationCa(ctx: GwContext, secret: Secret, namespace: string, request: RotateRequest): Promise<CertificateAuthority> {
  if (request.caFiles) return loadCaFiles(ctx, request.caFiles)
  const caSecret = secret.metadata.annotations?.[caSecretAnnotation]
  if (caSecret) return caFromSecret(ctx, namespace, caSecret, `CA secret (annotation ${caSecretAnnotation})`)
  const external = secret.metadata.annotations?.[caSourceAnnotation] === 'external'
  throw new UsageError(`secret ${namespace}/${request.name}: ${external ? 'its CA was given as files and is not kept in the cluster' : 'no CA recorded (it was not created by kubectl gw certs create)'}`, {
    hint: 'pass --ca-cert and --ca-key of the CA that signed it',
  })
}

/**
 * `certs rotate`: a new server certificate for the same hosts and key type from the same CA,
 * written with a resourceVersion-guarded replace of the same secret: no moment without it,
 * and a concurrent change is re-read and re-issued instead of being overwritten.
 */
export async function rotateCredential(ctx: GwContext, request: RotateRequest): Promise<RotateResult> {
  const placement = await credentialNamespace(ctx, {namespaceFlag: request.namespaceFlag, selector: request.selector, offline: false})
  for (const warning of placement.warnings) ctx.io.stderr.write(`Warning: ${warning}\n`)
  const {namespace} = placement
  const ref = {apiVersion: 'v1', kind: 'Secret', namespace, name: request.name}
  const where = `${namespace}/${request.name}`
  const first = await ctx.kube.get<Secret>(ref)
  if (!first) throw new UsageError(`secret ${where} not found`, {hint: 'create it with kubectl gw certs create, or pass -n'})
  const ca = await rotationCa(ctx, first, namespace, request)

  let outcome: Omit<RotateResult, 'credential' | 'namespace' | 'namespaceSource' | 'dryRun' | 'warnings' | 'ca'> | undefined
  const rotate = async (current: Secret): Promise<Secret> => {
    const before = await currentCertificate(current, where, ca, request.hosts)
    const keyType = await keyTypeOf(before.keyPem).catch(() => undefined)
    if (!keyType) throw new UsageError(`secret ${where}: tls.key is not an ecdsa-p256 or rsa-2048/3072/4096 key`, {hint: 'issue a new credential with kubectl gw certs create --overwrite'})
    // Same lifetime as the certificate it replaces unless --days says otherwise.
    const days = request.days ?? (before.validDays > 0 ? before.validDays : defaultDays)
    const issued = await reissueServerCertificate({ca, hosts: before.hosts, keyType, days, now: ctx.clock.now()})
    outcome = {hosts: before.hosts, keyType, old: before.cert, new: {serial: issued.serial, notBefore: issued.notBefore, notAfter: issued.notAfter}}
    const data = {...current.data}
    const certField = data.cert !== undefined ? 'cert' : 'tls.crt'
    const keyField = data.cert !== undefined ? 'key' : 'tls.key'
    data[certField] = Buffer.from(issued.certificate).toString('base64')
    data[keyField] = Buffer.from(issued.privateKey).toString('base64')
    return {...current, data}
  }

  if (request.dryRun === 'client') {
    await rotate(first)
  } else {
    await ctx.kube.update<Secret>(ref, rotate, {dryRun: request.dryRun === 'server'})
  }
  if (!outcome) throw new GwError(`secret ${where} was not rotated`, ExitCode.jobFailed)
  return {
    credential: request.name,
    namespace,
    namespaceSource: placement.source,
    dryRun: request.dryRun,
    hosts: outcome.hosts,
    keyType: outcome.keyType,
    ca: {subject: ca.subject, source: ca.source},
    old: outcome.old,
    new: outcome.new,
    warnings: placement.warnings,
  }
}
