import {Flags} from '@oclif/core'
import type {CanaryPlanView} from '../src/canary/plan.ts'
import type {CanaryResult} from '../src/canary/run.ts'
import {GwCommand} from './base-command.ts'
import {numberFlag, processIdentity, routeArg, withPauseOnInterrupt} from './canary-shared.ts'

export default class Canary extends GwCommand<typeof Canary> {
  static override summary = 'Shift traffic stepwise from stable to canary behind metric gates, with rollback and promotion.'
  static override description = `Works on one HTTP route of a VirtualService (or an HTTPRoute), found by its destinations; every
other route and field stays as it was. Each step writes the weights (one guarded update that also
records the run's state and lock in an annotation), waits --interval, then judges the gates: pass
advances, no-data (fewer than --min-requests) holds, an error of the metrics provider is retried and
never passes, --threshold failed checks roll back to the weights before the run. By default the
canary is also judged against the stable in the same window (one-sided Fisher exact test on the
error counts, p99 ratio from 1000 requests a side). Ctrl-C pauses; 'canary resume' continues.
Exit codes: 0 promoted (or held at max with --no-promote), 1 rolled back or stopped, 2 usage,
3 cluster or metrics provider unusable, 130 paused by Ctrl-C.`
  static override examples = [
    '<%= config.bin %> canary app-service --step 10 --interval 1m',
    '<%= config.bin %> canary app-service --stable stable --canary canary --steps 5,10,25,50 --max-latency 500ms',
    '<%= config.bin %> canary app-service --header x-canary=true --step 20 --prometheus-url http://127.0.0.1:9090 --dry-run',
    '<%= config.bin %> canary app-service --step 10 -o json | jq -c .',
  ]
  static override args = {route: routeArg}
  static override flags = {
    stable: Flags.string({description: 'Stable destination: subset name (subset split) or host (host split). Default: found from the route.'}),
    canary: Flags.string({description: 'Canary destination: subset name or host. Default: found from the route.'}),
    route: Flags.string({description: 'Name of the HTTP route to manage, when several carry the destinations.'}),
    step: Flags.integer({description: 'Canary weight added per step (default 10).', exclusive: ['steps']}),
    steps: Flags.string({description: 'Explicit canary weights, e.g. 5,10,25,50.'}),
    'max-weight': Flags.integer({description: 'Highest canary weight of the steps.', default: 100}),
    interval: Flags.string({description: 'Time per step before judging (e.g. 30s, 1m).', default: '1m'}),
    threshold: Flags.integer({description: 'Failed checks before rolling back.', default: 2}),
    'min-requests': Flags.integer({description: 'Canary requests a look needs; fewer holds the step (never passes).', default: 20}),
    'success-rate': Flags.string({description: 'Lowest canary success rate, percent (e.g. 99).'}),
    'max-latency': Flags.string({description: 'Highest canary p99 (e.g. 500ms).'}),
    query: Flags.string({description: 'Custom Prometheus gate NAME=PROMQL<=VALUE (or >=); {{interval}} {{namespace}} {{service}} {{canary_version}} are filled in.', multiple: true}),
    'compare-stable': Flags.boolean({description: 'Judge the canary against the stable in the same window (default: when both sides have traffic).', allowNo: true}),
    confidence: Flags.string({description: 'Confidence, percent, for "canary error rate worse than stable".', default: '95'}),
    'max-latency-ratio': Flags.string({description: 'Highest canary p99 as a multiple of the stable p99 (0 = off).', default: '1.2'}),
    header: Flags.string({description: 'First send only requests with this header K=V to the canary, judged like a step.'}),
    provider: Flags.string({description: 'Where metrics come from: auto picks prometheus when a URL is given or one is found in the cluster, else envoy.', options: ['auto', 'prometheus', 'envoy'], default: 'auto'}),
    'prometheus-url': Flags.string({description: 'Prometheus base URL, e.g. http://127.0.0.1:9090.'}),
    promote: Flags.boolean({description: 'Promote (canary 100) after the last step; --no-promote holds at --max-weight.', default: true, allowNo: true}),
    'dry-run': Flags.boolean({description: 'Print the plan and the rendered queries; write nothing.', default: false}),
  }

  async run(): Promise<CanaryResult | CanaryPlanView> {
    const {flags} = this
    const {parseCanaryFlags, planCanary, describePlan} = await import('../src/canary/plan.ts')
    const {trafficRouters} = await import('../plugins/traffic-routers/index.ts')
    const {metricProviders} = await import('../plugins/metric-providers/index.ts')
    const options = parseCanaryFlags({
      target: this.args.route,
      stable: flags.stable,
      canary: flags.canary,
      route: flags.route,
      step: flags.step,
      steps: flags.steps,
      maxWeight: flags['max-weight'],
      interval: flags.interval,
      threshold: flags.threshold,
      minRequests: flags['min-requests'],
      successRate: numberFlag(flags['success-rate'], '--success-rate'),
      maxLatency: flags['max-latency'],
      query: flags.query ?? [],
      compareStable: flags['compare-stable'],
      confidence: numberFlag(flags.confidence, '--confidence')!,
      maxLatencyRatio: numberFlag(flags['max-latency-ratio'], '--max-latency-ratio')!,
      header: flags.header,
      provider: flags.provider,
      prometheusUrl: flags['prometheus-url'],
      promote: flags.promote,
    })
    const ctx = this.gwContext()
    const plan = await planCanary(ctx, options, trafficRouters)
    const router = trafficRouters.find((r) => r.name === plan.spec.target.router)!
    const provider = await metricProviders[plan.spec.provider]!(ctx, plan.spec, plan.object)
    if (flags['dry-run']) {
      const {planView} = await import('../src/ui/canary-view.ts')
      const view = describePlan(plan, provider)
      await this.print(view, planView)
      return view
    }
    for (const warning of plan.warnings) ctx.io.stderr.write(`warning: ${warning}\n`)
    if (options.provider === 'auto') ctx.io.stderr.write(`metrics: ${provider.source} (--provider auto)\n`)
    await provider.check?.()
    const {runCanary} = await import('../src/canary/run.ts')
    const {createCanaryReporter, summaryLines} = await import('../src/ui/canary-view.ts')
    const reporter = await createCanaryReporter(ctx.io, ctx.clock, this.outputFormat)
    const result = await withPauseOnInterrupt(
      () => ctx.io.stderr.write('\npausing the canary (Ctrl-C again to quit at once)...\n'),
      (signal) => runCanary(ctx, plan.spec, {router, provider, identity: processIdentity(), signal, onEvent: (e) => reporter.event(e)}, {type: 'start', restore: plan.restore}),
    ).finally(() => reporter.close())
    if (this.outputFormat === 'json') ctx.io.stdout.write(`${JSON.stringify({type: 'result', ...result})}\n`)
    else ctx.io.stdout.write(`${(await summaryLines(result, {colour: ctx.io.interactive && ctx.io.stdout.isTTY})).join('\n')}\n`)
    this.setExitCode(result.exitCode)
    return result
  }
}
