import {Args, Command, loadHelpClass} from '@oclif/core'

/** `kubectl gw help [COMMAND...]`: the same help as `--help`, for people who type it kubectl's way. */
export default class Help extends Command {
  static override summary = 'Show help for kubectl gw or one of its commands.'
  static override strict = false
  static override args = {command: Args.string({description: 'Command to show help for, e.g. "certs create".', required: false})}
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help certs create']

  async run(): Promise<void> {
    const {argv} = await this.parse(Help)
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions ?? {}).showHelp(argv as string[])
  }
}
