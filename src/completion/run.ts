// One TAB, end to end: the registry's declared commands (oclif's metadata: the manifest file, or the
// loaded classes) -> the completer -> the protocol's text. Shared by the hidden `__complete` command
// and bin/run.js's fast path, which answers from oclif.manifest.json without starting oclif.
import {complete, formatCompletion, type CompletableCommand} from './complete.ts'
import {clusterLiveNames} from './live-names.ts'

interface DeclaredFlag {
  name: string
  type: string
  char?: string
  options?: readonly string[]
  summary?: string
  description?: string
  multiple?: boolean
}

/** A command as oclif declares it (the shape of oclif.manifest.json's entries and of loaded commands). */
export interface DeclaredCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  flags?: Record<string, DeclaredFlag>
  args?: Record<string, {name: string; options?: readonly string[]; description?: string}>
}

export function completableCommands(declared: DeclaredCommand[]): CompletableCommand[] {
  return declared.map((c) => ({
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
}

/** Completes `WORDS... WORD` (a leading `--` is dropped) and returns what kubectl reads back. */
export async function completeCommandLine(options: {
  commands: DeclaredCommand[]
  topics: {name: string; description?: string}[]
  words: string[]
  env: Record<string, string | undefined>
}): Promise<string> {
  const words = options.words[0] === '--' ? options.words.slice(1) : options.words
  const topics = Object.fromEntries(options.topics.map((t) => [t.name, t.description?.split('\n')[0]]))
  const completion = await complete(completableCommands(options.commands), words.length > 0 ? words : [''], clusterLiveNames(options.env), topics)
  return formatCompletion(completion)
}
