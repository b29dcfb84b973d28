import type {CanaryResult} from '../../src/canary/run.ts'
import {UsageError} from '../../src/errors.ts'
import {GwCommand} from '../base-command.ts'
import {processIdentity, routeArg, withPauseOnInterrupt} from '../canary-shared.ts'

export default class CanaryResume extends GwCommand<typeof CanaryResume> {
  static override summary = 'Continue a paused or interrupted canary run from its recorded step.'
  static override description = `Reads the run's record from the route's annotation and continues at the recorded stage: the
weights on the route are already that stage's, so nothing is written twice and no stage is skipped;
the stage's window starts afresh. Refused while another live process holds the run's lock.`
  static override examples = ['<%= config.bin %> canary resume app-service']
  static override args = {route: routeArg}

  async run(): Promise<CanaryResult> {
    const {parseTarget, resolveTarget} = await import('../../src/canary/plan.ts')
    const {readRecord} = await import('../../src/canary/record.ts')
    const {trafficRouters} = await import('../../plugins/traffic-routers/index.ts')
    const {metricProviders} = await import('../../plugins/metric-providers/index.ts')
    const {runCanary} = await import('../../src/canary/run.ts')
    const {createCanaryReporter, summaryLines} = await import('../../src/ui/canary-view.ts')
    const ctx = this.gwContext()
    const wanted = parseTarget(this.args.route)
    const {object} = await resolveTarget(ctx, wanted.kind, wanted.name, trafficRouters)
    const record = readRecord(object)
    if (!record) throw new UsageError(`${wanted.kind} ${wanted.name} has no canary run to resume`, {hint: `start one: kubectl gw canary ${wanted.name} --step 10`})
    const router = trafficRouters.find((r) => r.name === record.spec.target.router)
    const makeProvider = metricProviders[record.spec.provider]
    if (!router || !makeProvider) throw new UsageError(`the recorded run uses ${record.spec.target.router} / ${record.spec.provider}, which this kubectl-gw does not have`)
    const provider = await makeProvider(ctx, record.spec, object)
    await provider.check?.()
    const reporter = await createCanaryReporter(ctx.io, ctx.clock, this.outputFormat)
    const result = await withPauseOnInterrupt(
      () => ctx.io.stderr.write('\npausing the canary (Ctrl-C again to quit at once)...\n'),
      (signal) => runCanary(ctx, record.spec, {router, provider, identity: processIdentity(), signal, onEvent: (e) => reporter.event(e)}, {type: 'resume'}),
    ).finally(() => reporter.close())
    if (this.outputFormat === 'json') ctx.io.stdout.write(`${JSON.stringify({type: 'result', ...result})}\n`)
    else ctx.io.stdout.write(`${(await summaryLines(result, {colour: ctx.io.interactive && ctx.io.stdout.isTTY})).join('\n')}\n`)
    this.setExitCode(result.exitCode)
    return result
  }
}
