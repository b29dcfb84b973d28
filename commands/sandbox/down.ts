import {GwCommand} from '../base-command.ts'
import {stateDirFlag, stateDirFrom} from './up.ts'

export default class SandboxDown extends GwCommand<typeof SandboxDown> {
  static override summary = 'Stop the background sandbox (its state is kept for the next `sandbox up`).'
  static override examples = ['<%= config.bin %> sandbox down']
  static override flags = {'state-dir': stateDirFlag}

  async run(): Promise<{stopped: boolean; pid?: number}> {
    const stateDir = stateDirFrom(this.flags['state-dir'])
    const {stopSandbox} = await import('../../src/sandbox/process.ts')
    const result = await stopSandbox(stateDir, {timeoutMs: 15_000})
    await this.print(result, {
      table: (r) => [r.stopped ? `Sandbox (pid ${r.pid}) stopped; state kept in ${stateDir}.` : `No sandbox runs from ${stateDir}${r.pid ? ` (removed the stale pid file of ${r.pid})` : ''}.`],
    })
    return result
  }
}
