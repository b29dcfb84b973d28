import {constants as fsConstants} from 'node:fs'
import {chmod, mkdir, open, stat} from 'node:fs/promises'
import path from 'node:path'
import type {GwContext} from '../context.ts'
import {ExitCode, GwError, UsageError} from '../errors.ts'
import type {KubeObject} from '../kube/objects.ts'
import {isConflict} from '../kube/api-errors.ts'
import {checkOutDir, readInputFile} from '../local-files.ts'
import {validateHosts} from './hosts.ts'
import {credentialNamespace, type NamespaceSource} from './placement.ts'
import {
  defaultDays,
  issueCredential,
  keyTypes,
  loadCertificateAuthority,
  type CertificateAuthority,
  type CredentialBundle,
  type KeyType,
} from './issue.ts'
import {cacertSecretName} from '../istio/credentials.ts'
import {
  caSecretName,
  clientSecretName,
  defaultClientName,
  credentialSecrets,
  roleOf,
  secretMaterial,
  validateClientName,
  validateSecretName,
  type CaStorage,
  type CredentialRole,
  type Secret,
} from './secrets.ts'

import {dryRunModes, type DryRun} from './options.ts'

export {dryRunModes, type DryRun}
/** Certificates and keys older tools and browsers refuse: 100 years is plenty for a test CA. */
const maxDays = 36_500

export type CaChoice = {kind: 'generate'} | {kind: 'files'; certificatePath: string; privateKeyPath: string} | {kind: 'secret'; name: string}

/** What `certs create` was asked, already checked. */
export interface CreateCredentialRequest {
  name: string
  hosts: string[]
  keyType: KeyType
  days: number
  mutual: boolean
  clients: string[]
  separateCaSecret: boolean
  ca: CaChoice
  outDir?: string
  overwrite: boolean
  dryRun: DryRun
  namespaceFlag?: string
  selector: Record<string, string>
}

export interface CreateFlags {
  name: string
  hosts: string[]
  keyType?: string
  days?: string
  mutual: boolean
  clients: string[]
  separateCaSecret: boolean
  caCert?: string
  caKey?: string
  caSecret?: string
  outDir?: string
  overwrite: boolean
  dryRun?: string
  namespace?: string
  selector: Record<string, string>
}

export function parseDryRun(value: string | undefined): DryRun {
  const mode = (value ?? 'none') as DryRun
  if (!dryRunModes.includes(mode)) throw new UsageError(`invalid --dry-run "${value}"`, {hint: `use one of: ${dryRunModes.join(', ')}`})
  return mode
}

export function parseKeyType(value: string | undefined): KeyType {
  const keyType = (value ?? 'ecdsa-p256') as KeyType
  if (!keyTypes.includes(keyType)) throw new UsageError(`invalid --key-type "${value}"`, {hint: `use one of: ${keyTypes.join(', ')}`})
  return keyType
}

export function parseDays(value: string | undefined, flag = '--days'): number {
  if (value === undefined) return defaultDays
  const days = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN
  if (!Number.isInteger(days) || days < 1 || days > maxDays) {
    throw new UsageError(`invalid ${flag} "${value}": must be a whole number of days from 1 to ${maxDays}`)
  }
  return days
}

/** Every cross-flag rule of `certs create`, checked before anything is read, generated or written. */
export function validateCreateFlags(flags: CreateFlags): CreateCredentialRequest {
  validateSecretName(flags.name, 'secret name')
  const hosts = validateHosts(flags.hosts)
  if (flags.clients.length > 0 && !flags.mutual) throw new UsageError('--client needs --mutual: client certificates only matter when the gateway asks for them')
  if (flags.separateCaSecret && !flags.mutual) throw new UsageError('--separate-ca-secret needs --mutual: the CA secret is for verifying clients')
  if ((flags.caCert === undefined) !== (flags.caKey === undefined)) {
    throw new UsageError(`${flags.caCert === undefined ? '--ca-key' : '--ca-cert'} needs ${flags.caCert === undefined ? '--ca-cert' : '--ca-key'}: a CA is its certificate and its key`)
  }
  if (flags.caSecret !== undefined && flags.caCert !== undefined) throw new UsageError('--ca-secret cannot be combined with --ca-cert/--ca-key: pick one CA')
  if (flags.caSecret !== undefined) validateSecretName(flags.caSecret, '--ca-secret')
  const clients = flags.mutual && flags.clients.length === 0 ? [defaultClientName] : [...new Set(flags.clients)]
  for (const client of clients) validateClientName(flags.name, client)
  const ca: CaChoice =
    flags.caCert !== undefined && flags.caKey !== undefined
      ? {kind: 'files', certificatePath: flags.caCert, privateKeyPath: flags.caKey}
      : flags.caSecret !== undefined
        ? {kind: 'secret', name: flags.caSecret}
        : {kind: 'generate'}
  return {
    name: flags.name,
    hosts,
    keyType: parseKeyType(flags.keyType),
    days: parseDays(flags.days),
    mutual: flags.mutual,
    clients,
    separateCaSecret: flags.separateCaSecret,
    ca,
    outDir: flags.outDir,
    overwrite: flags.overwrite,
    dryRun: parseDryRun(flags.dryRun),
    namespaceFlag: flags.namespace,
    selector: flags.selector,
  }
}

export type SecretAction = 'created' | 'replaced'

export interface WrittenSecret {
  namespace: string
  name: string
  type: string
  role: CredentialRole
  action: SecretAction
}

export interface WrittenFile {
  path: string
  /** Octal permission bits, e.g. "0600" for keys. */
  mode: string
}

export interface CertificateSummary {
  subject: string
  serial: string
  notBefore: string
  notAfter: string
}

/** The `certs create` result; `secrets` (the objects) is what `-o yaml|json` prints. */
export interface CreateCredentialResult {
  credential: string
  namespace: string
  namespaceSource: NamespaceSource
  dryRun: DryRun
  keyType: KeyType
  mutual: boolean
  ca: CertificateSummary & {source: 'generated' | 'files' | 'secret'; secret?: string}
  server: CertificateSummary & {sans: string[]}
  clients: (CertificateSummary & {name: string})[]
  written: WrittenSecret[]
  files: WrittenFile[]
  warnings: string[]
  /** The Secret objects (with private keys); print them only through redactSecret unless asked. */
  objects: Secret[]
}

async function readPem(file: string, flag: string): Promise<string> {
  try {
    return await readInputFile(file, flag)
  } catch (error) {
    if (error instanceof UsageError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(`${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : `cannot read (${code})`}`)
  }
}

/** Reads and checks a CA given as --ca-cert/--ca-key files; every message names the flag and file. */
export async function loadCaFiles(ctx: GwContext, files: {certificatePath: string; privateKeyPath: string}): Promise<CertificateAuthority> {
  const pair = {certificate: await readPem(files.certificatePath, '--ca-cert'), privateKey: await readPem(files.privateKeyPath, '--ca-key')}
  return loadCertificateAuthority(
    pair,
    {certificate: `--ca-cert ${files.certificatePath}`, privateKey: `--ca-key ${files.privateKeyPath}`, label: `files ${files.certificatePath}`},
    ctx.clock.now(),
  )
}

async function loadCa(ctx: GwContext, choice: CaChoice, namespace: string): Promise<{ca?: CertificateAuthority; storage: CaStorage}> {
  if (choice.kind === 'files') return {ca: await loadCaFiles(ctx, choice), storage: {kind: 'external'}}
  if (choice.kind === 'secret') {
    return {ca: await caFromSecret(ctx, namespace, choice.name, '--ca-secret'), storage: {kind: 'secret', name: choice.name}}
  }
  return {storage: {kind: 'store'}}
}

/** Reads a CA kept in a secret (tls.crt/tls.key or cert/key), checked like a CA given as files. */
export async function caFromSecret(ctx: GwContext, namespace: string, name: string, what: string): Promise<CertificateAuthority> {
  const secret = await ctx.kube.get<Secret>({apiVersion: 'v1', kind: 'Secret', namespace, name})
  if (!secret) throw new UsageError(`${what} ${name}: secret not found in namespace "${namespace}"`)
  const material = secretMaterial(secret)
  if (!material.certificate || !material.privateKey) {
    throw new UsageError(`${what} ${name}: secret ${namespace}/${name} has no tls.crt/tls.key (or cert/key) pair`)
  }
  const label = `secret ${namespace}/${name}`
  return loadCertificateAuthority(
    {certificate: material.certificate.pem, privateKey: material.privateKey.pem},
    {certificate: `${label} ${material.certificate.field}`, privateKey: `${label} ${material.privateKey.field}`, label},
    ctx.clock.now(),
  )
}

interface PlannedFile {
  name: string
  content: string
  mode: number
}

/** client.crt for the default client, client-NAME.crt for a named one (as the secrets are named). */
const clientFileBase = (client: string) => (client === defaultClientName ? 'client' : `client-${client}`)

function plannedFiles(bundle: CredentialBundle): PlannedFile[] {
  const files: PlannedFile[] = [{name: 'ca.crt', content: bundle.ca.certificate, mode: 0o644}]
  // The CA key is only ours to hand out when we made it; a given CA's key is already the user's.
  if (bundle.ca.generated) files.push({name: 'ca.key', content: bundle.ca.privateKey, mode: 0o600})
  files.push({name: 'tls.crt', content: bundle.server.certificate, mode: 0o644}, {name: 'tls.key', content: bundle.server.privateKey, mode: 0o600})
  for (const client of bundle.clients) {
    files.push({name: `${clientFileBase(client.name)}.crt`, content: client.certificate, mode: 0o644}, {name: `${clientFileBase(client.name)}.key`, content: client.privateKey, mode: 0o600})
  }
  return files
}

function plannedFileNames(request: CreateCredentialRequest): string[] {
  const names = ['ca.crt', 'tls.crt', 'tls.key']
  if (request.ca.kind === 'generate') names.push('ca.key')
  for (const client of request.clients) names.push(`${clientFileBase(client)}.crt`, `${clientFileBase(client)}.key`)
  return names
}

async function existingFiles(dir: string, names: string[]): Promise<string[]> {
  const found: string[] = []
  for (const name of names) {
    try {
      await stat(path.join(dir, name))
      found.push(name)
    } catch {
      // absent: fine
    }
  }
  return found
}

async function writeFiles(dir: string, files: PlannedFile[], overwrite: boolean): Promise<WrittenFile[]> {
  await mkdir(dir, {recursive: true, mode: 0o700})
  const written: WrittenFile[] = []
  for (const file of files) {
    const target = path.join(dir, file.name)
    const flags = overwrite ? fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC : fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL
    const handle = await open(target, flags, file.mode)
    try {
      await handle.writeFile(file.content)
    } finally {
      await handle.close()
    }
    // An overwritten file keeps its old mode; a key must end up 0600 whatever it was.
    await chmod(target, file.mode)
    written.push({path: target, mode: `0${file.mode.toString(8)}`})
  }
  return written
}

async function existingSecrets(ctx: GwContext, namespace: string, names: string[]): Promise<Map<string, Secret>> {
  const existing = new Map<string, Secret>()
  const found = await Promise.all(names.map((name) => ctx.kube.get<Secret>({apiVersion: 'v1', kind: 'Secret', namespace, name})))
  found.forEach((secret, i) => secret && existing.set(names[i] as string, secret))
  return existing
}

const credentialWriteAttempts = 5

/**
 * Writes a credential's secrets as one: each replace is guarded by the resourceVersion read, and
 * with --overwrite a 409 (someone wrote in between) re-reads and re-writes the whole set, so the
 * stored CA, server and client certificates always belong together.
 */
async function writeCredentialSecrets(ctx: GwContext, objects: Secret[], options: {namespace: string; existing: Map<string, Secret>; dryRun: boolean; overwrite: boolean}): Promise<WrittenSecret[]> {
  let existing = options.existing
  for (let attempt = 1; ; attempt++) {
    const written: WrittenSecret[] = []
    try {
      for (const object of objects) {
        const name = object.metadata.name as string
        const before = existing.get(name)
        if (before) await ctx.kube.replace({...object, metadata: {...object.metadata, resourceVersion: before.metadata.resourceVersion}} as KubeObject, {dryRun: options.dryRun})
        else await ctx.kube.create(object, {dryRun: options.dryRun})
        written.push({namespace: options.namespace, name, type: object.type ?? 'Opaque', role: roleOf(object) ?? 'server', action: before ? 'replaced' : 'created'})
      }
      return written
    } catch (error) {
      // Without --overwrite a 409 means someone else's secret appeared: never replace it.
      if (!isConflict(error) || !options.overwrite || attempt === credentialWriteAttempts) {
        await removeCreated(ctx, written, options.dryRun)
        throw error
      }
      ctx.io.debug(`409 after writing ${written.map((w) => w.name).join(', ') || 'nothing'}: re-reading and re-writing the whole credential`)
      existing = await existingSecrets(ctx, options.namespace, objects.map((o) => o.metadata.name as string))
    }
  }
}

/** A credential is written whole or not at all: secrets this run created are deleted again when it cannot finish. */
async function removeCreated(ctx: GwContext, written: WrittenSecret[], dryRun: boolean): Promise<void> {
  if (dryRun) return
  for (const secret of written.filter((w) => w.action === 'created')) {
    await ctx.kube.delete({apiVersion: 'v1', kind: 'Secret', namespace: secret.namespace, name: secret.name}).catch((error: unknown) => {
      ctx.io.stderr.write(`Warning: could not remove secret ${secret.namespace}/${secret.name} after the failed write: ${(error as Error).message}\n`)
    })
  }
}

function plannedSecretNames(request: CreateCredentialRequest): string[] {
  const names = [request.name]
  if (request.ca.kind === 'generate') names.push(caSecretName(request.name))
  if (request.mutual && request.separateCaSecret) names.push(cacertSecretName(request.name))
  for (const client of request.clients) names.push(clientSecretName(request.name, client))
  return names
}

function summary(issued: {subject: string; serial: string; notBefore: string; notAfter: string}): CertificateSummary {
  return {subject: issued.subject, serial: issued.serial, notBefore: issued.notBefore, notAfter: issued.notAfter}
}

/**
 * `certs create`: checks everything that can be checked (flags, CA, namespace, existing
 * secrets and files), then issues, then writes: a refusal or a bad CA leaves nothing behind.
 */
export async function createCredential(ctx: GwContext, request: CreateCredentialRequest): Promise<CreateCredentialResult> {
  const offline = request.dryRun === 'client'
  const placement = await credentialNamespace(ctx, {namespaceFlag: request.namespaceFlag, selector: request.selector, offline})
  const {namespace} = placement
  const warnings = [...placement.warnings]
  for (const warning of placement.warnings) ctx.io.stderr.write(`Warning: ${warning}\n`)
  const {ca, storage} = await loadCa(ctx, request.ca, namespace)

  if (request.outDir && !offline) {
    await checkOutDir(request.outDir)
    const clash = await existingFiles(request.outDir, plannedFileNames(request))
    if (clash.length > 0 && !request.overwrite) {
      throw new GwError(`refusing to overwrite ${clash.map((f) => path.join(request.outDir as string, f)).join(', ')}`, ExitCode.jobFailed, {
        hint: 'pass --overwrite, or choose another --out-dir',
      })
    }
  }
  let existing = new Map<string, Secret>()
  if (!offline) {
    existing = await existingSecrets(ctx, namespace, plannedSecretNames(request))
    if (existing.size > 0 && !request.overwrite) {
      throw new GwError(`refusing to overwrite existing secret${existing.size > 1 ? 's' : ''} ${[...existing.keys()].map((n) => `${namespace}/${n}`).join(', ')}`, ExitCode.jobFailed, {
        hint: 'pass --overwrite to replace them, or `kubectl gw certs rotate` to renew the server certificate from the same CA',
      })
    }
    if (request.mutual && !request.separateCaSecret) {
      // Istio reads NAME-cacert before NAME's own ca.crt: a leftover one would verify clients against an old CA.
      const stale = await ctx.kube.get<Secret>({apiVersion: 'v1', kind: 'Secret', namespace, name: cacertSecretName(request.name)})
      if (stale) {
        const warning = `secret ${namespace}/${cacertSecretName(request.name)} exists and Istio prefers it over ca.crt for verifying clients; delete it (kubectl delete secret -n ${namespace} ${cacertSecretName(request.name)}) or pass --separate-ca-secret`
        warnings.push(warning)
        ctx.io.stderr.write(`Warning: ${warning}\n`)
      }
    }
  }

  const bundle = await issueCredential({
    hosts: request.hosts,
    keyType: request.keyType,
    days: request.days,
    clients: request.mutual ? request.clients : [],
    ca,
    caName: `${request.name} CA`,
    now: ctx.clock.now(),
  })
  const objects = credentialSecrets(request.name, namespace, bundle, {mutual: request.mutual, separateCaSecret: request.separateCaSecret, caStorage: storage})

  const written = offline ? [] : await writeCredentialSecrets(ctx, objects, {namespace, existing, dryRun: request.dryRun === 'server', overwrite: request.overwrite})
  const files = request.outDir && request.dryRun === 'none' ? await writeFiles(request.outDir, plannedFiles(bundle), request.overwrite) : []

  return {
    credential: request.name,
    namespace,
    namespaceSource: placement.source,
    dryRun: request.dryRun,
    keyType: bundle.keyType,
    mutual: request.mutual,
    ca: {...summary(bundle.ca), source: request.ca.kind === 'generate' ? 'generated' : request.ca.kind, ...(storage.kind === 'store' ? {secret: caSecretName(request.name)} : storage.kind === 'secret' ? {secret: storage.name} : {})},
    server: {...summary(bundle.server), sans: bundle.server.sans},
    clients: bundle.clients.map((c) => ({...summary(c), name: c.name})),
    written,
    files,
    warnings,
    objects,
  }
}

