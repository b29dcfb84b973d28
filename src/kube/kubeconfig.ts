import {readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'
import {UsageError} from '../errors.ts'
import {parseBlockYaml} from './block-yaml.ts'

/** The kubectl flags that choose a cluster connection. */
export interface KubeconfigSelection {
  kubeconfig?: string
  context?: string
  namespace?: string
  /** KUBECONFIG, HOME and the in-cluster variables, injected (never read from process.env here). */
  env: Record<string, string | undefined>
}

export interface ExecCredentialPlugin {
  apiVersion: string
  command: string
  args: string[]
  env: {name: string; value: string}[]
  interactiveMode?: string
  provideClusterInfo?: boolean
  /** Directory of the kubeconfig file that declared it: a relative command resolves from there. */
  baseDir: string
}

/** Everything needed to talk to one cluster, with file references already read. */
export interface ClusterConnection {
  contextName: string
  clusterName: string
  userName: string
  server: string
  namespace: string
  /** True when the namespace came from the flag or the context, not the "default" fallback. */
  namespaceExplicit: boolean
  caData?: Buffer
  insecureSkipTlsVerify: boolean
  tlsServerName?: string
  clientCertData?: Buffer
  clientKeyData?: Buffer
  token?: string
  tokenFile?: string
  username?: string
  password?: string
  exec?: ExecCredentialPlugin
  /** Files the configuration came from, for messages. */
  sources: string[]
}

interface NamedEntry {
  name: string
  [key: string]: unknown
}

interface MergedConfig {
  currentContext?: string
  clusters: Map<string, {value: Record<string, unknown>; baseDir: string; file: string}>
  contexts: Map<string, {value: Record<string, unknown>; baseDir: string; file: string}>
  users: Map<string, {value: Record<string, unknown>; baseDir: string; file: string}>
  files: string[]
}

const inClusterDir = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Paths kubectl would read, in order: --kubeconfig alone, else every KUBECONFIG entry, else ~/.kube/config. */
export function kubeconfigPaths(selection: KubeconfigSelection): {paths: string[]; explicit: boolean} {
  if (selection.kubeconfig) return {paths: [selection.kubeconfig], explicit: true}
  const fromEnv = selection.env.KUBECONFIG
  if (fromEnv) {
    const paths = fromEnv.split(path.delimiter).filter((p) => p.trim() !== '')
    // Duplicates are read once, as kubectl does.
    return {paths: [...new Set(paths)], explicit: false}
  }
  const home = selection.env.HOME ?? homedir()
  return {paths: [path.join(home, '.kube', 'config')], explicit: false}
}

async function readKubeconfigFile(file: string, mustExist: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (!mustExist && code === 'ENOENT') return undefined
    throw new UsageError(`cannot read kubeconfig ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, {
      hint: 'pass an existing file with --kubeconfig, or fix KUBECONFIG',
    })
  }
  let parsed: unknown
  try {
    // Block YAML as kubectl writes it is read here; anything else by the full parser, loaded only then.
    parsed = parseBlockYaml(text) ?? (await import('./yaml-parser.ts')).parse(text)
  } catch (error) {
    const linePos = (error as {linePos?: {line: number}[]}).linePos?.[0]
    const where = linePos ? `${file}:${linePos.line}` : file
    throw new UsageError(`kubeconfig ${where} is not valid YAML: ${firstLine((error as Error).message)}`, {
      hint: 'fix the file, or point --kubeconfig at another one',
    })
  }
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`kubeconfig ${file} is not a kubeconfig: expected a mapping with clusters, contexts and users`)
  }
  return parsed as Record<string, unknown>
}

/** The files that exist (all of them must when `mustExist`), each read, in KUBECONFIG order. */
async function readKubeconfigFiles(paths: string[], mustExist: boolean): Promise<{file: string; config: Record<string, unknown>}[]> {
  const files: {file: string; config: Record<string, unknown>}[] = []
  for (const file of paths) {
    const config = await readKubeconfigFile(file, mustExist)
    if (config) files.push({file, config})
  }
  return files
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text
}

function namedList(config: Record<string, unknown>, key: string, file: string): NamedEntry[] {
  const value = config[key]
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new UsageError(`kubeconfig ${file}: "${key}" must be a list`)
  return value.map((entry, index) => {
    if (!entry || typeof entry !== 'object' || typeof (entry as NamedEntry).name !== 'string') {
      throw new UsageError(`kubeconfig ${file}: ${key}[${index}] has no name`)
    }
    return entry as NamedEntry
  })
}

/** Merges files the way kubectl does: the first file to define a name or current-context wins. */
export function mergeKubeconfigs(files: {file: string; config: Record<string, unknown>}[]): MergedConfig {
  const merged: MergedConfig = {clusters: new Map(), contexts: new Map(), users: new Map(), files: []}
  for (const {file, config} of files) {
    merged.files.push(file)
    const baseDir = path.dirname(path.resolve(file))
    if (!merged.currentContext && typeof config['current-context'] === 'string' && config['current-context']) {
      merged.currentContext = config['current-context']
    }
    const sections = [
      ['clusters', 'cluster', merged.clusters],
      ['contexts', 'context', merged.contexts],
      ['users', 'user', merged.users],
    ] as const
    for (const [listKey, valueKey, target] of sections) {
      for (const entry of namedList(config, listKey, file)) {
        if (target.has(entry.name)) continue
        const value = (entry[valueKey] ?? {}) as Record<string, unknown>
        target.set(entry.name, {value, baseDir, file})
      }
    }
  }
  return merged
}

function resolvePath(baseDir: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  return path.isAbsolute(value) ? value : path.join(baseDir, value)
}

function readReferencedFile(file: string, what: string, kubeconfigFile: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new UsageError(`kubeconfig ${kubeconfigFile}: cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

function base64Field(value: unknown, what: string, file: string): Buffer | undefined {
  if (typeof value !== 'string' || value === '') return undefined
  const buffer = Buffer.from(value, 'base64')
  if (buffer.length === 0) throw new UsageError(`kubeconfig ${file}: ${what} is not base64`)
  return buffer
}

function inClusterConnection(selection: KubeconfigSelection): ClusterConnection | undefined {
  const host = selection.env.KUBERNETES_SERVICE_HOST
  const port = selection.env.KUBERNETES_SERVICE_PORT
  if (!host || !port) return undefined
  let caData: Buffer
  let namespace = 'default'
  try {
    caData = readFileSync(path.join(inClusterDir, 'ca.crt'))
  } catch {
    return undefined
  }
  try {
    namespace = readFileSync(path.join(inClusterDir, 'namespace'), 'utf8').trim() || 'default'
  } catch {
    // kubectl also falls back to "default" when the namespace file is missing.
  }
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`
  return {
    contextName: 'in-cluster',
    clusterName: 'in-cluster',
    userName: 'in-cluster',
    server,
    namespace: selection.namespace ?? namespace,
    namespaceExplicit: true,
    caData,
    insecureSkipTlsVerify: false,
    tokenFile: path.join(inClusterDir, 'token'),
    sources: ['in-cluster service account'],
  }
}

/** Resolves the flags and kubeconfig files to one cluster connection, failing with exit 2 on bad input. */
export async function loadClusterConnection(selection: KubeconfigSelection): Promise<ClusterConnection> {
  const {paths, explicit} = kubeconfigPaths(selection)
  const files = await readKubeconfigFiles(paths, explicit)
  if (files.length === 0 && !selection.env.KUBECONFIG) {
    const inCluster = inClusterConnection(selection)
    if (inCluster) return inCluster
  }
  const merged = mergeKubeconfigs(files)
  const contextName = selection.context ?? merged.currentContext
  if (!contextName) {
    const looked = paths.join(', ')
    throw new UsageError(
      files.length === 0 ? `no kubeconfig found (looked at ${looked})` : `no current context is set in ${merged.files.join(', ')}`,
      {hint: "pass --context, set one with 'kubectl config use-context', or start a local cluster with 'kubectl gw sandbox up'"},
    )
  }
  const context = merged.contexts.get(contextName)
  if (!context) {
    const known = [...merged.contexts.keys()]
    throw new UsageError(`context "${contextName}" does not exist`, {
      hint: known.length > 0 ? `known contexts: ${known.join(', ')}` : `no contexts are defined in ${merged.files.join(', ') || paths.join(', ')}`,
    })
  }
  const clusterName = String(context.value.cluster ?? '')
  const userName = String(context.value.user ?? '')
  const cluster = merged.clusters.get(clusterName)
  if (!cluster) {
    throw new UsageError(`context "${contextName}" refers to cluster "${clusterName}", which is not defined`, {
      hint: `add the cluster to ${context.file} or choose another --context`,
    })
  }
  const user = userName ? merged.users.get(userName) : undefined
  if (userName && !user) {
    throw new UsageError(`context "${contextName}" refers to user "${userName}", which is not defined`, {
      hint: `add the user to ${context.file} or choose another --context`,
    })
  }
  const server = cluster.value.server
  if (typeof server !== 'string' || server === '') {
    throw new UsageError(`cluster "${clusterName}" in ${cluster.file} has no server`)
  }
  try {
    const url = new URL(server)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme')
  } catch {
    throw new UsageError(`cluster "${clusterName}" in ${cluster.file} has an invalid server URL: ${server}`)
  }

  const contextNamespace = typeof context.value.namespace === 'string' && context.value.namespace ? context.value.namespace : undefined
  const connection: ClusterConnection = {
    contextName,
    clusterName,
    userName,
    server: server.replace(/\/+$/, ''),
    namespace: selection.namespace ?? contextNamespace ?? 'default',
    namespaceExplicit: Boolean(selection.namespace ?? contextNamespace),
    insecureSkipTlsVerify: cluster.value['insecure-skip-tls-verify'] === true,
    tlsServerName: typeof cluster.value['tls-server-name'] === 'string' ? cluster.value['tls-server-name'] : undefined,
    sources: merged.files,
  }
  connection.caData =
    base64Field(cluster.value['certificate-authority-data'], 'certificate-authority-data', cluster.file) ??
    optionalFile(resolvePath(cluster.baseDir, cluster.value['certificate-authority']), 'certificate-authority', cluster.file)

  if (user) {
    const u = user.value
    connection.clientCertData =
      base64Field(u['client-certificate-data'], 'client-certificate-data', user.file) ??
      optionalFile(resolvePath(user.baseDir, u['client-certificate']), 'client-certificate', user.file)
    connection.clientKeyData =
      base64Field(u['client-key-data'], 'client-key-data', user.file) ??
      optionalFile(resolvePath(user.baseDir, u['client-key']), 'client-key', user.file)
    if (typeof u.token === 'string' && u.token) connection.token = u.token
    connection.tokenFile = resolvePath(user.baseDir, u.tokenFile)
    if (typeof u.username === 'string') connection.username = u.username
    if (typeof u.password === 'string') connection.password = u.password
    if (u['auth-provider']) {
      const name = (u['auth-provider'] as {name?: string}).name ?? 'unknown'
      throw new UsageError(`user "${userName}" uses the removed "${name}" auth-provider`, {
        hint: 'kubectl >= 1.26 needs an exec credential plugin instead (for example gke-gcloud-auth-plugin or kubelogin)',
      })
    }
    if (u.exec) connection.exec = parseExec(u.exec, userName, user.file, user.baseDir)
    if (Boolean(connection.clientCertData) !== Boolean(connection.clientKeyData)) {
      throw new UsageError(`user "${userName}" in ${user.file} has a client certificate without a key, or a key without a certificate`)
    }
  }
  return connection
}

function optionalFile(file: string | undefined, what: string, kubeconfigFile: string): Buffer | undefined {
  return file ? readReferencedFile(file, what, kubeconfigFile) : undefined
}

function parseExec(raw: unknown, userName: string, file: string, baseDir: string): ExecCredentialPlugin {
  const exec = raw as Record<string, unknown>
  if (typeof exec.command !== 'string' || exec.command === '') {
    throw new UsageError(`user "${userName}" in ${file}: exec has no command`)
  }
  const apiVersion = typeof exec.apiVersion === 'string' ? exec.apiVersion : ''
  if (!/^client\.authentication\.k8s\.io\/(v1|v1beta1)$/.test(apiVersion)) {
    throw new UsageError(`user "${userName}" in ${file}: exec apiVersion "${apiVersion}" is not supported`, {
      hint: 'use client.authentication.k8s.io/v1 or v1beta1',
    })
  }
  return {
    apiVersion,
    command: exec.command,
    args: Array.isArray(exec.args) ? exec.args.map(String) : [],
    env: Array.isArray(exec.env) ? (exec.env as {name: string; value: string}[]) : [],
    interactiveMode: typeof exec.interactiveMode === 'string' ? exec.interactiveMode : undefined,
    provideClusterInfo: exec.provideClusterInfo === true,
    baseDir,
  }
}

/** The context names the selected kubeconfig files define, merged as kubectl merges them. */
export async function kubeconfigContextNames(selection: KubeconfigSelection): Promise<string[]> {
  const {paths, explicit} = kubeconfigPaths(selection)
  const files = await readKubeconfigFiles(paths, explicit)
  return [...mergeKubeconfigs(files).contexts.keys()]
}
