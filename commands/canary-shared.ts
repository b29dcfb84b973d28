import {Args} from '@oclif/core'
import type {CanaryResult} from '../src/canary/run.ts'
import {GwCommand} from './base-command.ts'
import os from 'node:os'
import type {RunIdentity} from '../src/canary/record.ts'
import {UsageError} from '../src/errors.ts'

/** Not a command: what the `canary` commands share: the route argument and who this CLI is (the lock's holder). */

export const routeArg = Args.string({description: 'The VirtualService (NAME or vs/NAME) or Gateway API route (httproute/NAME).', required: true})

/** host:pid; a holder on this host whose process is gone (kill -9) no longer holds the lock. */
export function processIdentity(): RunIdentity {
  const host = os.hostname()
  return {
    holder: `${host}:${process.pid}`,
    alive(holder) {
      const at = holder.lastIndexOf(':')
      if (at < 0 || holder.slice(0, at) !== host) return undefined
      const pid = Number(holder.slice(at + 1))
      if (!Number.isInteger(pid) || pid <= 0) return undefined
      try {
        process.kill(pid, 0)
        return true
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === 'EPERM'
      }
    },
  }
}

export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value.trim().replace(/%$/, ''))
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} "${value}" is not a number`)
  return n
}

/** Runs `work` with SIGINT turned into a clean pause (a second SIGINT exits at once). */
export async function withPauseOnInterrupt<T>(onPause: () => void, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130)
    onPause()
    controller.abort(new Error('interrupted'))
  }
  process.on('SIGINT', onSigint)
  try {
    return await work(controller.signal)
  } finally {
    process.off('SIGINT', onSigint)
  }
}

type RunCommand = 'pause' | 'abort' | 'promote'

/** pause / abort / promote share one path: find the route, let the state machine decide, one guarded update (two for promote). */
export function canaryRunCommand(command: RunCommand, summary: string) {
  return class extends GwCommand<typeof GwCommand> {
    static override summary = summary
    static override examples = [`<%= config.bin %> canary ${command} app-service`]
    static override args = {route: routeArg}

    async run(): Promise<CanaryResult> {
      const {parseTarget, resolveTarget} = await import('../src/canary/plan.ts')
      const {readRecord} = await import('../src/canary/record.ts')
      const {commandRun} = await import('../src/canary/run.ts')
      const {commandResultView} = await import('../src/ui/canary-view.ts')
      const {trafficRouters} = await import('../plugins/traffic-routers/index.ts')
      const ctx = this.gwContext()
      const wanted = parseTarget(String(this.args.route))
      const {target, router, object} = await resolveTarget(ctx, wanted.kind, wanted.name, trafficRouters)
      const recorded = readRecord(object)
      const runRouter = trafficRouters.find((r) => r.name === recorded?.spec.target.router) ?? router
      const result = await commandRun(ctx, recorded?.spec.target ?? target, command, {router: runRouter})
      await this.print(result, commandResultView)
      return result
    }
  }
}
