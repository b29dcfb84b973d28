import {Args, Flags} from '@oclif/core'
import {parseDuration, formatDuration} from '../../src/duration.ts'
import {UsageError} from '../../src/errors.ts'
import type {FaultResult} from '../../src/sandbox-cli/fault.ts'
import {formatTable, type TableView} from '../../src/ui/render.ts'
import {GwCommand} from '../base-command.ts'

const faultView: TableView<FaultResult> = {
  table: (r) =>
    formatTable(['namespace', 'workload', 'error-rate', 'latency', 'state'], [[r.namespace, r.workload, r.cleared ? '-' : `${Math.round(r.errorRate * 1000) / 10}%`, r.cleared ? '-' : formatDuration(r.latencyMs), r.cleared ? 'cleared' : 'fault set']]),
}

export default class SandboxFault extends GwCommand<typeof SandboxFault> {
  static override summary = "Make a sandbox workload fail or slow down, so that doctor and canary gates see it."
  static override description = `Writes the annotation sandbox.kubectl-gw.io/fault on the workload's Deployment through the
Kubernetes API; the sandbox's simulated mesh applies it to the very next requests: the error
rate is the share answered with HTTP 500, the latency is added to every response. Only the
sandbox reads this annotation.`
  static override examples = [
    '<%= config.bin %> sandbox fault app-service-canary --error-rate 0.3',
    '<%= config.bin %> sandbox fault httpbin --latency 800ms',
    '<%= config.bin %> sandbox fault httpbin --clear',
  ]
  static override args = {
    workload: Args.string({description: 'Deployment name of the workload.', required: true}),
  }
  static override flags = {
    'error-rate': Flags.string({description: 'Share of requests answered with 500: 0..1 or a percentage (30%).'}),
    latency: Flags.string({description: 'Latency added to every response (e.g. 800ms, 2s).'}),
    clear: Flags.boolean({description: 'Remove the fault (not with --error-rate or --latency).', default: false}),
  }

  async run(): Promise<FaultResult> {
    const {flags} = this
    const {parseErrorRate, setWorkloadFault} = await import('../../src/sandbox-cli/fault.ts')
    const setting = flags['error-rate'] !== undefined || flags.latency !== undefined
    if (flags.clear && setting) throw new UsageError('--clear cannot be combined with --error-rate or --latency', {hint: 'clear the fault, or set a new one'})
    if (!flags.clear && !setting) throw new UsageError('nothing to do: give --error-rate, --latency or --clear')
    const fault = flags.clear
      ? undefined
      : {errorRate: flags['error-rate'] === undefined ? 0 : parseErrorRate(flags['error-rate']), latencyMs: flags.latency === undefined ? 0 : parseDuration(flags.latency, '--latency')}
    const ctx = this.gwContext()
    const result = await setWorkloadFault(ctx.kube, await ctx.namespace(), this.args.workload, fault)
    await this.print(result, faultView)
    return result
  }
}
