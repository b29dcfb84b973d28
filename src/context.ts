import type {EnvoyAdmin} from './envoy/admin.ts'
import type {KubeClient} from './kube/client.ts'

/** Where a command's output goes; commands and the core never touch process.stdout directly. */
export interface OutputStream {
  write(text: string): void
  readonly isTTY: boolean
  /** The underlying stream, for libraries (ora, listr2) that draw on it themselves. */
  readonly raw?: NodeJS.WritableStream
}

export interface Io {
  stdout: OutputStream
  stderr: OutputStream
  /** Colour and animation are allowed: a TTY, no CI, no NO_COLOR, TERM not dumb. */
  readonly interactive: boolean
  /** Verbose diagnostics (--verbose), already redacted by the caller. */
  debug(message: string): void
}

export interface Clock {
  now(): Date
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The one context the core receives: every side effect goes through it. */
export interface GwContext {
  kube: KubeClient
  /** Envoy admin of the gateway pods (pod proxy, port-forward fallback). */
  envoy: EnvoyAdmin
  clock: Clock
  io: Io
  /** Namespace after kubectl's defaulting (flag, then kubeconfig context, then "default"). */
  namespace(): Promise<string>
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, {once: true})
    }),
}

/** Decides whether output may animate or colour, the way DESIGN.md asks (TTY, CI, NO_COLOR, TERM). */
export function isInteractive(stream: {isTTY?: boolean}, env: Record<string, string | undefined>): boolean {
  if (!stream.isTTY) return false
  if ('CI' in env && env.CI !== 'false' && env.CI !== '0') return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return env.TERM !== 'dumb'
}
