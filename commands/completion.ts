import {Args, Command} from '@oclif/core'
import {completionShells} from '../src/completion/shell-scripts.ts'

/** `kubectl gw completion bash|zsh|fish`: the script for the standalone kubectl-gw executable. */
export default class Completion extends Command {
  static override summary = 'Print a shell completion script for the kubectl-gw executable (bash, zsh or fish).'
  static override description = `kubectl gw <TAB> needs no script: kubectl (>= 1.26) completes plugin arguments by running
kubectl_complete-gw from PATH, which the npm package installs (for a binary or krew install, link
it to kubectl-gw). This script completes kubectl-gw typed on its own. Commands, flags, flag values
and live names (namespaces, Gateways, VirtualServices, secrets) come from the same completer.`
  static override examples = ['source <(<%= config.bin %> completion bash)', 'source <(kubectl-gw completion zsh)', 'kubectl-gw completion fish | source']
  static override args = {shell: Args.string({description: 'Shell to complete in.', options: [...completionShells], required: true})}

  async run(): Promise<void> {
    const {args} = await this.parse(Completion)
    const {completionScripts} = await import('../src/completion/shell-scripts.ts')
    process.stdout.write(completionScripts[args.shell as (typeof completionShells)[number]])
  }
}
