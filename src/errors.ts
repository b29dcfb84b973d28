/** Exit codes shared by every command (DESIGN.md "Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** The job ran and found or decided failure (doctor findings, canary rolled back). */
  jobFailed: 1,
  /** Usage or bad input: the message names the flag or file line and the fix. */
  usage: 2,
  /** Cluster or provider unreachable, unauthorised or forbidden. */
  cluster: 3,
} as const
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** An error meant for the user: one clear line (plus an optional hint), never a stack trace. */
export class GwError extends Error {
  readonly exitCode: ExitCodeValue
  readonly hint?: string
  constructor(message: string, exitCode: ExitCodeValue, options: {hint?: string; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'GwError'
    this.exitCode = exitCode
    this.hint = options.hint
  }
}

export class UsageError extends GwError {
  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, ExitCode.usage, options)
    this.name = 'UsageError'
  }
}

export class ClusterError extends GwError {
  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, ExitCode.cluster, options)
    this.name = 'ClusterError'
  }
}

export function isGwError(error: unknown): error is GwError {
  return error instanceof GwError
}
