import {spawn} from 'node:child_process'
import {mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync} from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import {ClusterError, UsageError} from '../errors.ts'
import type {RunningSandbox} from './sandbox.ts'
import {defaultStateDir, resolveStateDir} from './state-dir.ts'

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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Refuses to start a second sandbox on the same state. */
export function assertNotRunning(stateDir: string): void {
  const runtime = readRuntime(stateDir)
  if (runtime && runtime.pid !== process.pid && isAlive(runtime.pid)) {
    throw new UsageError(`a sandbox already runs from ${stateDir} (pid ${runtime.pid}, ${runtime.url})`, {hint: 'stop it with `kubectl gw sandbox down`, or pass --state-dir for a second one'})
  }
}

/** Writes the kubeconfig (0600) and the runtime file of a sandbox that is serving. */
export function recordRunning(sandbox: RunningSandbox, options: {stateDir: string; kubeconfigOut: string; kubeconfig: string; startedAt: Date; metricsUrl?: string}): SandboxRuntime {
  mkdirSync(path.dirname(options.kubeconfigOut), {recursive: true})
  writeFileSync(options.kubeconfigOut, options.kubeconfig, {mode: 0o600})
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
  if (!runtime) return {running: false, stateDir}
  if (!isAlive(runtime.pid)) return {running: false, stateDir, note: `stale pid file: process ${runtime.pid} is gone`}
  const ready = await readyz(runtime, 2000)
  const {port: _port, ...facts} = runtime
  return {running: ready, ...facts, ...(ready ? {} : {note: `process ${runtime.pid} runs but ${runtime.url}/readyz does not answer`})}
}

/** SIGTERM, then waits (bounded) for the process to exit; returns the pid stopped, if any. */
export async function stopSandbox(stateDir: string, options: {timeoutMs: number}): Promise<{stopped: boolean; pid?: number}> {
  const runtime = readRuntime(stateDir)
  if (!runtime) return {stopped: false}
  if (!isAlive(runtime.pid)) {
    rmSync(path.join(stateDir, runtimeFileName), {force: true})
    return {stopped: false, pid: runtime.pid}
  }
  process.kill(runtime.pid, 'SIGTERM')
  const deadline = Date.now() + options.timeoutMs
  // Another process's exit cannot be awaited; poll it with a bound.
  while (isAlive(runtime.pid)) {
    if (Date.now() > deadline) throw new ClusterError(`sandbox process ${runtime.pid} did not stop within ${options.timeoutMs} ms`, {hint: `kill it with: kill ${runtime.pid}`})
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  rmSync(path.join(stateDir, runtimeFileName), {force: true})
  return {stopped: true, pid: runtime.pid}
}

export interface ReadyMessage {
  ready: true
  runtime: SandboxRuntime
}

/** Starts `up` again in a detached child (logs to sandbox.log) and resolves once it reports ready. */
export function startDetached(options: {execPath: string; args: string[]; stateDir: string; env: Record<string, string | undefined>}): Promise<SandboxRuntime> {
  mkdirSync(options.stateDir, {recursive: true, mode: 0o700})
  const log = openSync(path.join(options.stateDir, logFileName), 'a')
  const child = spawn(options.execPath, options.args, {detached: true, stdio: ['ignore', log, log, 'ipc'], env: options.env})
  closeSync(log)
  return new Promise((resolve, reject) => {
    child.once('message', (message: ReadyMessage | {error: string}) => {
      child.disconnect()
      child.unref()
      if ('ready' in message) resolve(message.runtime)
      else reject(new ClusterError(`the sandbox did not start: ${message.error}`, {hint: `see ${path.join(options.stateDir, logFileName)}`}))
    })
    child.once('exit', (code) => reject(new ClusterError(`the sandbox process exited (code ${code}) before it was ready`, {hint: `see ${path.join(options.stateDir, logFileName)}`})))
    child.once('error', (error) => reject(new ClusterError(`could not start the sandbox process: ${error.message}`)))
  })
}
