import {Command} from '@oclif/core'

/**
 * `kubectl gw __complete [--] WORDS... WORD`: the completion protocol kubectl (>= 1.26) speaks with
 * `kubectl_complete-gw`, which runs this. Commands, flags and values come from the registry's metadata.
 * (From an npm install bin/run.js answers the same from oclif.manifest.json without starting oclif.)
 */
export default class Complete extends Command {
  static override hidden = true
  static override strict = false
  static override summary = 'Complete a kubectl gw command line (kubectl runs it through kubectl_complete-gw).'

  async run(): Promise<void> {
    const {completeCommandLine} = await import('../src/completion/run.ts')
    process.stdout.write(await completeCommandLine({commands: this.config.commands, topics: this.config.topics, words: this.argv, env: process.env}))
  }
}
