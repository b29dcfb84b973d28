import {Command} from '@oclif/core'
import type {CompletableCommand, LiveKind, LiveNames} from '../src/completion/complete.ts'

/** Every live lookup of one TAB together gets this long; a slow cluster must not freeze the shell. */
const liveDeadlineMs = 1500

/**
 * `kubectl gw __complete [--] WORDS... WORD`: the completion protocol kubectl (>= 1.26) speaks with
 * `kubectl_complete-gw`, which runs this. Commands, flags and values come from the registry's metadata.
 */
export default class Complete extends Command {
  static override hidden = true
  static override strict = false
  static override summary = 'Complete a kubectl gw command line (kubectl runs it through kubectl_complete-gw).'

  async run(): Promise<void> {
    const {complete, formatCompletion} = await import('../src/completion/complete.ts')
    const words = this.argv[0] === '--' ? this.argv.slice(1) : this.argv
    const commands: CompletableCommand[] = this.config.commands.map((c) => ({
      id: c.id,
      summary: c.summary ?? c.description?.split('\n')[0],
      hidden: c.hidden,
      flags: Object.values(c.flags ?? {}).map((f) => ({
        name: f.name,
        char: f.char,
        takesValue: f.type === 'option',
        options: f.type === 'option' ? f.options : undefined,
        description: f.summary ?? f.description,
        multiple: f.type === 'option' ? f.multiple : false,
      })),
      args: Object.values(c.args ?? {}).map((a) => ({name: a.name, options: a.options, description: a.description})),
    }))
    const topics = Object.fromEntries(this.config.topics.map((t) => [t.name, t.description?.split('\n')[0]]))
    const completion = await complete(commands, words.length > 0 ? words : [''], withDeadline(liveNames, liveDeadlineMs), topics)
    process.stdout.write(formatCompletion(completion))
  }
}

/** Live names through the tool's own client, for the kubeconfig/context/namespace on the line being completed. */
const liveNames: LiveNames = async (kind: LiveKind, scope) => {
  const selection = {kubeconfig: scope.kubeconfig, context: scope.context, namespace: scope.namespace, env: process.env}
  if (kind === 'contexts') return (await import('../src/kube/kubeconfig.ts')).kubeconfigContextNames(selection)
  const [{createKubeClient}, {listLiveNames}] = await Promise.all([import('../src/kube/connect.ts'), import('../src/completion/live-names.ts')])
  const kube = createKubeClient({selection, requestTimeoutMs: liveDeadlineMs})
  try {
    return await listLiveNames(kube, kind, scope.namespace)
  } finally {
    kube.close()
  }
}

function withDeadline(live: LiveNames, ms: number): LiveNames {
  return (kind, scope) => {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)
    })
    return Promise.race([live(kind, scope), deadline]).finally(() => clearTimeout(timer))
  }
}
