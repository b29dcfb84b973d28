import type {SandboxStatus} from '../../src/sandbox/process.ts'
import {GwCommand} from '../base-command.ts'
import {stateDirFlag, stateDirFrom} from './up.ts'

export default class SandboxStatusCommand extends GwCommand<typeof SandboxStatusCommand> {
  static override summary = 'Say whether the sandbox runs, where, and with which kubeconfig.'
  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status -o json']
  static override flags = {'state-dir': stateDirFlag}

  async run(): Promise<SandboxStatus> {
    const [{sandboxStatus}, {sandboxStatusView}] = await Promise.all([import('../../src/sandbox/process.ts'), import('../../src/ui/sandbox-view.ts')])
    const status = await sandboxStatus(stateDirFrom(this.flags['state-dir']))
    await this.print(status, sandboxStatusView)
    return status
  }
}
