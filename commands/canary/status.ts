import type {CanaryStatus} from '../../src/canary/run.ts'
import {GwCommand} from '../base-command.ts'
import {processIdentity, routeArg} from '../canary-shared.ts'

export default class CanaryStatusCommand extends GwCommand<typeof CanaryStatusCommand> {
  static override summary = 'Show a canary run: phase, stage, weights (recorded and live), failed checks, lock, last gates.'
  static override examples = ['<%= config.bin %> canary status app-service', '<%= config.bin %> canary status app-service -o json']
  static override args = {route: routeArg}

  async run(): Promise<CanaryStatus> {
    const {parseTarget, resolveTarget} = await import('../../src/canary/plan.ts')
    const {canaryStatus} = await import('../../src/canary/run.ts')
    const {statusView} = await import('../../src/ui/canary-view.ts')
    const {trafficRouters} = await import('../../plugins/traffic-routers/index.ts')
    const ctx = this.gwContext()
    const wanted = parseTarget(this.args.route)
    const {target, router} = await resolveTarget(ctx, wanted.kind, wanted.name, trafficRouters)
    const status = await canaryStatus(ctx, target, {router, identity: processIdentity()})
    await this.print(status, statusView)
    return status
  }
}
