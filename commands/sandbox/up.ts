import os from 'node:os'
import path from 'node:path'
import {Flags} from '@oclif/core'
import {UsageError} from '../../src/errors.ts'
import type {SandboxStatus} from '../../src/sandbox/process.ts'
import {resolveStateDir} from '../../src/sandbox/state-dir.ts'
import {worldNames, type WorldName} from '../../src/sandbox/world/names.ts'
import {GwCommand} from '../base-command.ts'

export const stateDirFlag = Flags.string({
  description: 'Folder holding the sandbox state, CA, token and pid file (default: $KUBECTL_GW_SANDBOX_DIR, else ~/.kubectl-gw/sandbox).',
})

/** The command layer reads the environment; src/ receives the result. */
export function stateDirFrom(flag: string | undefined): string {
  return resolveStateDir({flag, env: process.env.KUBECTL_GW_SANDBOX_DIR, home: os.homedir()})
}

export default class SandboxUp extends GwCommand<typeof SandboxUp> {
  static override summary = 'Start a simulated Istio cluster on 127.0.0.1 that kubectl and kubectl-gw can talk to.'
  static override description = `A simulator, not a cluster: one local process serving a Kubernetes API (HTTPS, its own CA,
a bearer token) with Istio and Gateway API CRDs, istiod, the ingress and egress gateways and, in the
demo world, the services seed examples route to. It writes a kubeconfig (context gw-sandbox) to
--kubeconfig-out (default: <state-dir>/kubeconfig) and never touches your own kubeconfig.
State survives down/up; --reset starts afresh.`
  static override examples = [
    '<%= config.bin %> sandbox up --detach',
    '<%= config.bin %> sandbox up --world empty --istio-version 1.21 --port 6443 --kubeconfig-out ./sandbox.kubeconfig',
  ]
  static override flags = {
    'kubeconfig-out': Flags.string({description: 'Write the sandbox kubeconfig here (default: <state-dir>/kubeconfig).'}),
    port: Flags.integer({description: 'Port on 127.0.0.1 (0 = any free port).', default: 0, min: 0, max: 65535}),
    detach: Flags.boolean({description: 'Return once the sandbox is ready and leave it running in the background.', default: false}),
    world: Flags.string({description: 'demo: Istio plus the services the seed examples route to; empty: Istio only.', options: [...worldNames], default: 'demo'}),
    'istio-version': Flags.string({description: 'Istio release to simulate (decides the served networking.istio.io versions and image tags).', default: '1.28'}),
    'state-dir': stateDirFlag,
    reset: Flags.boolean({description: 'Discard the saved state and build the world afresh.', default: false}),
    'metrics-port': Flags.integer({description: 'Port on 127.0.0.1 for the simulated mesh\'s Prometheus endpoint (0 = any free port).', default: 0, min: 0, max: 65535}),
  }

  async run(): Promise<SandboxStatus & {detached: boolean}> {
    const istioVersion = this.flags['istio-version']
    if (!/^1\.\d{1,2}(\.\d{1,2})?$/.test(istioVersion)) throw new UsageError(`--istio-version ${istioVersion}: expected a release such as 1.28 or 1.22.3`)
    const stateDir = stateDirFrom(this.flags['state-dir'])
    const kubeconfigOut = path.resolve(this.flags['kubeconfig-out'] ?? path.join(stateDir, 'kubeconfig'))
    const [{assertNotRunning, startDetached}, {sandboxUpView}] = await Promise.all([import('../../src/sandbox/process.ts'), import('../../src/ui/sandbox-view.ts')])
    if (this.flags.detach) {
      // The early, friendly refusal; the background process's lock is what makes it exclusive.
      await assertNotRunning(stateDir)
      // The background process gets the resolved flags, not a copy of argv: flags given once must not arrive twice.
      const flags = this.flags
      const args = [
        process.argv[1]!,
        'sandbox',
        'up',
        '--state-dir', stateDir,
        '--kubeconfig-out', kubeconfigOut,
        '--port', String(flags.port),
        '--world', flags.world,
        '--istio-version', istioVersion,
        '--metrics-port', String(flags['metrics-port']),
        ...(flags.reset ? ['--reset'] : []),
        ...(flags.verbose ? ['--verbose'] : []),
      ]
      const runtime = await startDetached({execPath: process.execPath, args: [...process.execArgv, ...args], stateDir, env: process.env})
      const {port: _port, ...facts} = runtime
      const result = {running: true, ...facts, detached: true}
      await this.print(result, sandboxUpView)
      return result
    }
    return this.runForeground({stateDir, kubeconfigOut, istioVersion})
  }

  private async runForeground(options: {stateDir: string; kubeconfigOut: string; istioVersion: string}): Promise<SandboxStatus & {detached: boolean}> {
    const {startSandbox, SandboxStateMismatch, SandboxStateCorrupt, sandboxKubeconfig} = await import('../../src/sandbox/sandbox.ts')
    const {recordRunning, clearRuntime, sandboxRunning} = await import('../../src/sandbox/process.ts')
    const {acquireLock, SandboxLocked} = await import('../../src/sandbox/lock.ts')
    const {sandboxUpView} = await import('../../src/ui/sandbox-view.ts')
    const {createSimulatedMesh} = await import('../../src/sandbox/mesh/index.ts')
    const {startScrapeServer} = await import('../../src/sandbox/mesh/scrape-server.ts')
    const stderr = (text: string) => process.stderr.write(text)
    const startedAt = new Date()
    /** Tells a parent `up --detach` why this process could not start, keeping usage errors exit 2. */
    const reportFailure = (error: unknown) =>
      new Promise<void>((resolve) => {
        if (!process.send) return resolve()
        // Awaited: a process that exits right after send() may take the message with it.
        process.send({error: (error as Error).message, usage: error instanceof UsageError, hint: (error as UsageError).hint}, () => resolve())
      })
    // Exclusive: the lock is taken before the state is read, so two `up` on one folder cannot both start.
    let lock
    try {
      lock = await acquireLock(options.stateDir)
    } catch (error) {
      const refusal = error instanceof SandboxLocked ? sandboxRunning(options.stateDir, error.holder?.pid) : error
      await reportFailure(refusal)
      throw refusal
    }
    let sandbox
    try {
      sandbox = await startSandbox({
        stateDir: options.stateDir,
        port: this.flags.port,
        world: this.flags.world as WorldName,
        istioVersion: options.istioVersion,
        reset: this.flags.reset,
        meshFactory: (state) => createSimulatedMesh(state, {onError: (error) => stderr(`sandbox mesh: ${(error as Error).message}\n`)}),
        onError: (error) => stderr(`sandbox: ${(error as Error).message}\n`),
      })
    } catch (error) {
      const message =
        error instanceof SandboxStateMismatch
          ? new UsageError(error.message, {hint: 'pass --reset to start afresh, or --state-dir for a separate sandbox'})
          : error instanceof SandboxStateCorrupt
            ? new UsageError(`the sandbox state cannot be read: ${error.message}`, {hint: `pass --reset to start afresh (it replaces ${error.file}), or --state-dir for a separate sandbox`})
            : (error as NodeJS.ErrnoException).code === 'EADDRINUSE'
              ? new UsageError(`--port ${this.flags.port}: the port is in use`, {hint: 'pick another port, or 0 for any free one'})
              : error
      await reportFailure(message)
      await lock.release()
      throw message
    }
    let scrape
    try {
      scrape = await startScrapeServer(sandbox.server.mesh!, {port: this.flags['metrics-port']})
    } catch (error) {
      await sandbox.close()
      await lock.release()
      const message = (error as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new UsageError(`--metrics-port ${this.flags['metrics-port']}: the port is in use`, {hint: 'pick another port, or 0 for any free one'}) : error
      await reportFailure(message)
      throw message
    }
    const runtime = recordRunning(sandbox, {stateDir: options.stateDir, kubeconfigOut: options.kubeconfigOut, kubeconfig: sandboxKubeconfig(sandbox), startedAt, metricsUrl: scrape.url})
    const {port: _port, ...facts} = runtime
    const result = {running: true, ...facts, detached: Boolean(process.send)}
    if (process.send) process.send({ready: true, runtime})
    else await this.print(result, sandboxUpView)
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
      lock.onStopRequest(() => resolve())
    })
    await scrape.close()
    await sandbox.close()
    clearRuntime(options.stateDir, process.pid)
    // Last: whoever waits in `sandbox down` returns once the state is saved.
    await lock.release()
    if (!process.send) stderr('Sandbox stopped; state saved.\n')
    return result
  }
}
