import {spawn} from 'node:child_process'
import {mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync} from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import {ClusterError, UsageError} from '../errors.ts'
import type {RunningSandbox} from './sandbox.ts'
import {defaultStateDir, resolveStateDir} from './state-dir.ts'
import {probeLock, requestStop} from './lock.ts'
import {ensurePrivateDir, writePrivateFile} from './private-files.ts'

export {defaultStateDir, resolveStateDir}


export const runtimeFileName = 'sandbox.json'
export const logFileName = 'sandbox.log'

/** What a running sandbox records about itself (the pid file, with the facts `status` reports). */
export interface SandboxRuntime {
  pid: number
  url: string
  port: number
  kubeconfig: string
  context: 'gw-sandbox'
  stateDir: string
  istioVersion: string
  world: string
  startedAt: string
  /** The simulated mesh's Prometheus endpoint (plain HTTP on 127.0.0.1). */
  metricsUrl?: string
}

export interface SandboxStatus {
  running: boolean
  stateDir: string
  pid?: number
  url?: string
  kubeconfig?: string
  context?: string
  istioVersion?: string
  world?: string
  startedAt?: string
  metricsUrl?: string
  /** Why it is not running, when a stale pid file was found. */
  note?: string
}

export function readRuntime(stateDir: string): SandboxRuntime | undefined {
  try {
    return JSON.parse(readFileSync(path.join(stateDir, runtimeFileName), 'utf8')) as SandboxRuntime
  } catch {
    return undefined
  }
}

/** Refuses to start a second sandbox on the same state (the lock is what decides; this is the early, friendly check). */
export async function assertNotRunning(stateDir: string): Promise<void> {
  const holder = await probeLock(stateDir)
  if (holder) throw sandboxRunning(stateDir, holder.pid)
}

export function sandboxRunning(stateDir: string, pid?: number): UsageError {
  const runtime = readRuntime(stateDir)
  const at = runtime && runtime.pid === pid ? `, ${runtime.url}` : ''
  return new UsageError(`a sandbox already runs from ${stateDir}${pid ? ` (pid ${pid}${at})` : ''}`, {hint: 'stop it with `kubectl gw sandbox down`, or pass --state-dir for a second one'})
}

/** Writes the kubeconfig (0600) and the runtime file of a sandbox that is serving. */
export function recordRunning(sandbox: RunningSandbox, options: {stateDir: string; kubeconfigOut: string; kubeconfig: string; startedAt: Date; metricsUrl?: string}): SandboxRuntime {
  mkdirSync(path.dirname(options.kubeconfigOut), {recursive: true})
  writePrivateFile(options.kubeconfigOut, options.kubeconfig)
  const runtime: SandboxRuntime = {
    pid: process.pid,
    url: sandbox.url,
    port: sandbox.port,
    kubeconfig: options.kubeconfigOut,
    context: 'gw-sandbox',
    stateDir: options.stateDir,
    istioVersion: sandbox.istioVersion,
    world: sandbox.world,
    startedAt: options.startedAt.toISOString(),
    ...(options.metricsUrl ? {metricsUrl: options.metricsUrl} : {}),
  }
  writeFileSync(path.join(options.stateDir, runtimeFileName), `${JSON.stringify(runtime, null, 2)}\n`)
  return runtime
}

export function clearRuntime(stateDir: string, pid: number): void {
  const runtime = readRuntime(stateDir)
  if (runtime?.pid === pid) rmSync(path.join(stateDir, runtimeFileName), {force: true})
}

function readyz(runtime: SandboxRuntime, timeoutMs: number): Promise<boolean> {
  let ca: string
  try {
    ca = readFileSync(path.join(runtime.stateDir, 'ca.crt'), 'utf8')
  } catch {
    return Promise.resolve(false)
  }
  return new Promise((resolve) => {
    const request = https.get(`${runtime.url}/readyz`, {ca, timeout: timeoutMs}, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(false))
  })
}

export async function sandboxStatus(stateDir: string): Promise<SandboxStatus> {
  const runtime = readRuntime(stateDir)
  const holder = await probeLock(stateDir)
  if (!holder) return runtime ? {running: false, stateDir, note: `stale pid file: process ${runtime.pid} no longer holds the sandbox lock`} : {running: false, stateDir}
  if (!runtime || runtime.pid !== holder.pid) return {running: false, stateDir, pid: holder.pid, note: `process ${holder.pid} holds the sandbox lock but is still starting`}
  const ready = await readyz(runtime, 2000)
  const {port: _port, ...facts} = runtime
  return {running: ready, ...facts, ...(ready ? {} : {note: `process ${runtime.pid} runs but ${runtime.url}/readyz does not answer`})}
}

/**
 * Asks the sandbox holding the folder's lock to stop and waits (bounded) until it has; never signals
 * a PID read from a file (it may belong to another process by now). A pid file nobody holds the lock for is removed.
 */
export async function stopSandbox(stateDir: string, options: {timeoutMs: number}): Promise<{stopped: boolean; pid?: number}> {
  const runtime = readRuntime(stateDir)
  const {holder, stopped} = await requestStop(stateDir, options.timeoutMs)
  if (!holder) {
    if (runtime) rmSync(path.join(stateDir, runtimeFileName), {force: true})
    return {stopped: false, ...(runtime ? {pid: runtime.pid} : {})}
  }
  if (!stopped) throw new ClusterError(`sandbox process ${holder.pid} did not stop within ${options.timeoutMs} ms`, {hint: `kill it with: kill ${holder.pid}`})
  clearRuntime(stateDir, holder.pid)
  return {stopped: true, pid: holder.pid}
}

/** What the background process reports when it cannot start; `usage` failures keep exit code 2. */
export interface StartFailure {
  error: string
  usage?: boolean
  hint?: string
}

export interface ReadyMessage {
  ready: true
  runtime: SandboxRuntime
}

/** Starts `up` again in a detached child (logs to sandbox.log) and resolves once it reports ready. */
export function startDetached(options: {execPath: string; args: string[]; stateDir: string; env: Record<string, string | undefined>}): Promise<SandboxRuntime> {
  ensurePrivateDir(options.stateDir)
  const log = openSync(path.join(options.stateDir, logFileName), 'a', 0o600)
  const child = spawn(options.execPath, options.args, {detached: true, stdio: ['ignore', log, log, 'ipc'], env: options.env})
  closeSync(log)
  return new Promise((resolve, reject) => {
    child.once('message', (message: ReadyMessage | StartFailure) => {
      child.disconnect()
      child.unref()
      if ('ready' in message) resolve(message.runtime)
      else if (message.usage) reject(new UsageError(message.error, {hint: message.hint}))
      else reject(new ClusterError(`the sandbox did not start: ${message.error}`, {hint: `see ${path.join(options.stateDir, logFileName)}`}))
    })
    // 'close', not 'exit': it comes after every message the process sent.
    child.once('close', (code) => reject(new ClusterError(`the sandbox process exited (code ${code}) before it was ready`, {hint: `see ${path.join(options.stateDir, logFileName)}`})))
    child.once('error', (error) => reject(new ClusterError(`could not start the sandbox process: ${error.message}`)))
  })
}
