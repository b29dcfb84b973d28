// Shell completion as kubectl plugins do it (kubectl >= 1.26 runs `kubectl_complete-gw ARGS... WORD`):
// commands, flags and flag values come from the command registry's metadata, live names from the
// cluster. Nothing here names a command: a new command is completed by being registered.

/** cobra's ShellCompDirective bits, which kubectl's completion scripts decode. */
export const Directive = {
  default: 0,
  error: 1,
  noSpace: 2,
  noFileComp: 4,
  filterFileExt: 8,
  filterDirs: 16,
  keepOrder: 32,
} as const

export interface CompletableFlag {
  name: string
  char?: string
  /** false for booleans: no value follows. */
  takesValue: boolean
  options?: readonly string[]
  description?: string
  multiple?: boolean
}

export interface CompletableArg {
  name: string
  options?: readonly string[]
  description?: string
}

/** A command as the registry declares it (oclif metadata, ids with ':' between words). */
export interface CompletableCommand {
  id: string
  summary?: string
  hidden?: boolean
  flags: CompletableFlag[]
  args: CompletableArg[]
}

/** Kinds of live names, chosen by the flag's or argument's name. */
export type LiveKind = 'namespaces' | 'contexts' | 'gateways' | 'virtualservices' | 'routes' | 'secrets' | 'deployments'

/** Where live names come from; namespace as given on the line being completed (undefined: the context's). */
export type LiveNames = (kind: LiveKind, scope: {namespace?: string; kubeconfig?: string; context?: string}) => Promise<string[]>

export interface Candidate {
  value: string
  description?: string
}

export interface Completion {
  candidates: Candidate[]
  directive: number
}

/**
 * The live kind a flag or argument names, by its name alone ("--gateway", "VIRTUALSERVICE",
 * "SECRET", "--ca-secret", "-n"), so commands get live completion by naming things plainly.
 */
export function liveKindFor(name: string, place: 'argument' | 'flag'): LiveKind | undefined {
  const word = name.toLowerCase().replace(/[^a-z]/g, '')
  if (word === 'namespace') return 'namespaces'
  if (word === 'context') return 'contexts'
  if (word === 'gateway') return 'gateways'
  if (word === 'virtualservice' || word === 'vs') return 'virtualservices'
  // The ROUTE argument is a VirtualService or httproute/NAME; a --route flag names an HTTP route inside one.
  if (word === 'route') return place === 'argument' ? 'routes' : undefined
  if (word.endsWith('secret') || word === 'credential') return 'secrets'
  if (word === 'workload' || word === 'deployment') return 'deployments'
  return undefined
}

interface ParsedLine {
  /** Words naming the command or topic, e.g. ['certs', 'inspect']. */
  path: string[]
  command?: CompletableCommand
  positionals: string[]
  /** Flags given, by long name, with their last value ('' for booleans). */
  given: Map<string, string>
  /** The flag whose value is being completed (the word before was `--flag` without `=`). */
  pendingFlag?: CompletableFlag
}

function findFlag(flags: CompletableFlag[], word: string): CompletableFlag | undefined {
  if (word.startsWith('--')) return flags.find((f) => f.name === word.slice(2))
  if (/^-[A-Za-z]$/.test(word)) return flags.find((f) => f.char === word.slice(1))
  return undefined
}

/** The flags every command shares (kubectl's own): all that is known before the command is. */
function sharedFlags(commands: CompletableCommand[]): CompletableFlag[] {
  const [first, ...rest] = commands
  return first ? first.flags.filter((f) => rest.every((c) => c.flags.some((g) => g.name === f.name))) : []
}

function parseLine(commands: CompletableCommand[], words: string[]): ParsedLine {
  const ids = new Set(commands.map((c) => c.id))
  const prefixes = new Set(commands.flatMap((c) => c.id.split(':').map((_, i, all) => all.slice(0, i + 1).join(':'))))
  const shared = sharedFlags(commands.filter((c) => !c.hidden && c.flags.length > 0))
  const line: ParsedLine = {path: [], positionals: [], given: new Map()}
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!
    const flags = line.command?.flags ?? shared
    if (word.startsWith('-') && word !== '-' && word !== '--') {
      const [head, inlineValue] = word.includes('=') ? [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)] : [word, undefined]
      const flag = findFlag(flags, head)
      if (!flag) continue
      if (!flag.takesValue || inlineValue !== undefined) {
        line.given.set(flag.name, inlineValue ?? '')
        continue
      }
      if (i + 1 < words.length) {
        line.given.set(flag.name, words[++i]!)
        continue
      }
      line.pendingFlag = flag
      continue
    }
    const next = [...line.path, word].join(':')
    if (line.positionals.length === 0 && prefixes.has(next)) {
      line.path.push(word)
      line.command = ids.has(next) ? commands.find((c) => c.id === next) : undefined
      continue
    }
    line.positionals.push(word)
  }
  return line
}

const startsWith = (prefix: string) => (candidate: Candidate) => candidate.value.startsWith(prefix)

/** Live names, or none when the cluster cannot say (a TAB must never print an error). */
async function liveCandidates(kind: LiveKind, line: ParsedLine, live: LiveNames): Promise<Candidate[]> {
  try {
    const names = await live(kind, {namespace: line.given.get('namespace'), kubeconfig: line.given.get('kubeconfig'), context: line.given.get('context')})
    return [...new Set(names)].sort().map((value) => ({value}))
  } catch {
    return []
  }
}

async function valueCandidates(item: {name: string; options?: readonly string[]}, place: 'argument' | 'flag', line: ParsedLine, live: LiveNames): Promise<Candidate[] | undefined> {
  if (item.options && item.options.length > 0) return item.options.map((value) => ({value}))
  const kind = liveKindFor(item.name, place)
  return kind ? liveCandidates(kind, line, live) : undefined
}

/**
 * Completes `kubectl gw WORDS... TOCOMPLETE`: `words` are the arguments after the plugin name, the
 * last one being the word under the cursor ('' when it is empty). Topics (`certs`) are described by
 * `topicSummaries`, keyed by id.
 */
export async function complete(commands: CompletableCommand[], words: string[], live: LiveNames, topicSummaries: Record<string, string | undefined> = {}): Promise<Completion> {
  const visible = commands.filter((c) => !c.hidden)
  const toComplete = words.at(-1) ?? ''
  const line = parseLine(commands, words.slice(0, -1))
  const flags = line.command?.flags ?? sharedFlags(visible.filter((c) => c.flags.length > 0))
  const noFiles = Directive.noFileComp

  // A value for the flag before the cursor: its options, live names, or files (--kubeconfig, -f).
  if (line.pendingFlag) {
    const values = await valueCandidates(line.pendingFlag, 'flag', line, live)
    return values ? {candidates: values.filter(startsWith(toComplete)), directive: noFiles} : {candidates: [], directive: Directive.default}
  }
  if (toComplete.startsWith('-')) {
    const eq = toComplete.indexOf('=')
    if (eq > 0) {
      const flag = findFlag(flags, toComplete.slice(0, eq))
      const values = flag?.takesValue ? await valueCandidates(flag, 'flag', line, live) : undefined
      if (!values) return {candidates: [], directive: Directive.default}
      const head = toComplete.slice(0, eq + 1)
      return {candidates: values.map((v) => ({value: `${head}${v.value}`})).filter(startsWith(toComplete)), directive: noFiles}
    }
    const offered = flags
      .filter((f) => f.multiple || !line.given.has(f.name))
      .flatMap((f) => [{value: `--${f.name}`, description: f.description}, ...(f.char && toComplete === '-' ? [{value: `-${f.char}`, description: f.description}] : [])])
    return {candidates: offered.filter(startsWith(toComplete)), directive: noFiles}
  }

  const candidates: Candidate[] = []
  // Subcommands and topics under the words typed so far (before any positional argument).
  if (line.positionals.length === 0) {
    const depth = line.path.length
    const children = new Map<string, string | undefined>()
    for (const command of visible) {
      const parts = command.id.split(':')
      if (parts.length <= depth || parts.slice(0, depth).join(':') !== line.path.join(':')) continue
      const word = parts[depth]!
      const isLeaf = parts.length === depth + 1
      if (isLeaf || !children.has(word)) children.set(word, isLeaf ? command.summary : topicSummaries[[...line.path, word].join(':')])
    }
    for (const [value, description] of children) candidates.push({value, description})
  }
  // The command's next positional argument.
  const arg = line.command?.args[line.positionals.length]
  if (arg) candidates.push(...((await valueCandidates(arg, 'argument', line, live)) ?? []))
  return {candidates: candidates.filter(startsWith(toComplete)), directive: noFiles}
}

/** The protocol's output: one candidate a line (`value<TAB>description`), then `:<directive>`. */
export function formatCompletion(completion: Completion): string {
  const lines = completion.candidates.map((c) => (c.description ? `${c.value}\t${c.description.split('\n')[0]}` : c.value))
  return `${[...lines, `:${completion.directive}`].join('\n')}\n`
}
