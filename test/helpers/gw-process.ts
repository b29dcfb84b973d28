import {spawn, type ChildProcess} from 'node:child_process'
import {gwBin, requireBuiltCli} from './paths.ts'

/** The built CLI as a child process whose `-o json` lines can be awaited one by one (no sleeping). */
export interface GwProcess {
  child: ChildProcess
  /** Every JSON line printed so far. */
  events: Record<string, unknown>[]
  stderr(): string
  /** Resolves with the first event (past or future) that matches; rejects if the process exits first. */
  waitFor(match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>
}

export function startGw(args: string[], env: Record<string, string>): GwProcess {
  requireBuiltCli()
  const child = spawn(gwBin, args, {env: {PATH: process.env.PATH ?? '', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  const events: Record<string, unknown>[] = []
  const waiters: {match: (e: Record<string, unknown>) => boolean; resolve: (e: Record<string, unknown>) => void; reject: (e: Error) => void}[] = []
  let stderr = ''
  let buffer = ''
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)))
  child.stdout!.on('data', (chunk) => {
    buffer += String(chunk)
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      // One JSON object per line (-o json events); pretty-printed documents are left to the caller's stdout.
      if (!line.startsWith('{') || !line.endsWith('}')) continue
      const event = JSON.parse(line) as Record<string, unknown>
      events.push(event)
      for (const waiter of [...waiters]) {
        if (waiter.match(event)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(event)
        }
      }
    }
  })
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('exit', (code, signal) => resolve({code, signal})))
  void exited.then(() => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`kubectl-gw ${args.join(' ')} exited before the awaited event; stderr:\n${stderr}`))
  })
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    waitFor(match) {
      const seen = events.find(match)
      if (seen) return Promise.resolve(seen)
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`exited; stderr:\n${stderr}`))
      return new Promise((resolve, reject) => waiters.push({match, resolve, reject}))
    },
  }
}

/** Runs the built CLI to the end. */
export async function runGw(args: string[], env: Record<string, string>): Promise<{code: number | null; events: Record<string, unknown>[]; stdout: string; stderr: string}> {
  const p = startGw(args, env)
  let stdout = ''
  p.child.stdout!.on('data', (chunk) => (stdout += String(chunk)))
  const {code} = await p.exited
  return {code, events: p.events, stdout, stderr: p.stderr()}
}
