import {Command, Flags, type Interfaces} from '@oclif/core'
import {isInteractive, systemClock, type GwContext, type Io, type OutputStream} from '../src/context.ts'
import {createEnvoyAdmin} from '../src/envoy/admin.ts'
import {ExitCode, isGwError} from '../src/errors.ts'
import {createKubeClient} from '../src/kube/connect.ts'
import {parseDuration} from '../src/duration.ts'
import {outputFormats, parseOutputFormat, renderResult, type OutputFormat, type TableView} from '../src/ui/render.ts'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof GwCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

const globalGroup = 'GLOBAL'

function processStream(stream: NodeJS.WriteStream): OutputStream {
  return {write: (text) => void stream.write(text), isTTY: Boolean(stream.isTTY), raw: stream}
}

/**
 * The base of every kubectl-gw command: kubectl's own flags, one injected context,
 * rendering of typed results, and the exit-code rules of DESIGN.md.
 */
export abstract class GwCommand<T extends typeof Command> extends Command {
  static override baseFlags = {
    kubeconfig: Flags.string({description: 'Path to the kubeconfig file to use for CLI requests.', helpGroup: globalGroup}),
    context: Flags.string({description: 'The name of the kubeconfig context to use.', helpGroup: globalGroup}),
    namespace: Flags.string({char: 'n', description: 'If present, the namespace scope for this CLI request.', helpGroup: globalGroup}),
    'request-timeout': Flags.string({
      description: 'The length of time to wait before giving up on a single server request (e.g. 1s, 2m, 3h; 0 = no timeout).',
      default: '0',
      helpGroup: globalGroup,
    }),
    output: Flags.string({char: 'o', description: 'Output format.', options: [...outputFormats], default: 'table', helpGroup: globalGroup}),
    verbose: Flags.boolean({description: 'Log requests to stderr (secrets redacted) and show stack traces.', default: false, helpGroup: globalGroup}),
  }

  protected flags!: BaseFlags<T>
  protected args!: BaseArgs<T>
  /** Set by tests to run the command against a fake context. */
  injectedContext?: GwContext
  /** The exit code this run decided; applied to the process only outside tests. */
  exitCode: number = ExitCode.ok
  private builtContext?: GwContext

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof GwCommand).baseFlags,
      enableJsonFlag: false,
      args: this.ctor.args,
      strict: this.ctor.strict,
    })
    this.flags = flags as BaseFlags<T>
    this.args = args as BaseArgs<T>
  }

  protected get outputFormat(): OutputFormat {
    return parseOutputFormat(this.flags.output)
  }

  /** The context the core receives; the kubeconfig is read on first cluster access, not here. */
  protected gwContext(): GwContext {
    if (this.injectedContext) return this.injectedContext
    if (this.builtContext) return this.builtContext
    const env = process.env
    const stdout = processStream(process.stdout)
    const stderr = processStream(process.stderr)
    const verbose = this.flags.verbose
    const io: Io = {
      stdout,
      stderr,
      interactive: isInteractive(process.stderr, env),
      debug: (message) => {
        if (verbose) stderr.write(`${message}\n`)
      },
    }
    const requestTimeoutMs = parseDuration(this.flags['request-timeout'], '--request-timeout', {bareNumberUnit: 's'})
    const kube = createKubeClient({
      selection: {kubeconfig: this.flags.kubeconfig, context: this.flags.context, namespace: this.flags.namespace, env},
      requestTimeoutMs,
      debug: verbose ? io.debug : undefined,
    })
    this.builtContext = {
      kube,
      // Where pods/proxy is forbidden, a WebSocket port-forward; client-node loads only then.
      envoy: createEnvoyAdmin(kube, {portForward: async () => (await import('../src/envoy/port-forward.ts')).createPortForward(kube)}),
      clock: systemClock,
      io,
      namespace: async () => this.flags.namespace ?? (await kube.connection()).namespace,
    }
    return this.builtContext
  }

  /** Writes a typed result in the format asked with -o. */
  protected async print<R>(result: R, view: TableView<R>): Promise<void> {
    this.gwContext().io.stdout.write(await renderResult(result, this.outputFormat, view))
  }

  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    const io = this.injectedContext?.io
    const writeErr = (text: string) => (io ? io.stderr.write(text) : process.stderr.write(text))
    const verbose = this.flags?.verbose ?? process.argv.includes('--verbose')
    if (isGwError(error)) {
      writeErr(`error: ${error.message}${error.hint ? ` (${error.hint})` : ''}\n`)
      if (verbose && error.stack) writeErr(`${error.stack}\n`)
      this.setExitCode(error.exitCode)
      return
    }
    const oclifExit = error.oclif?.exit
    if (oclifExit !== undefined) {
      // Flag and argument parse errors: one line, the usage exit code.
      if (oclifExit !== 0) {
        writeErr(`error: ${parseErrorLine(error.message)} (see 'kubectl gw ${this.id?.replaceAll(':', ' ') ?? ''} --help')\n`)
        if (verbose && error.stack) writeErr(`${error.stack}\n`)
      }
      this.setExitCode(oclifExit === 0 ? ExitCode.ok : ExitCode.usage)
      return
    }
    writeErr(`error: ${firstLine(error.message)}${verbose ? '' : ' (run with --verbose for details)'}\n`)
    if (verbose && error.stack) writeErr(`${error.stack}\n`)
    this.setExitCode(ExitCode.jobFailed)
  }

  /** Records the run's exit code (a job that ran and decided failure uses 1). */
  protected setExitCode(code: number): void {
    this.exitCode = code
    if (!this.injectedContext) process.exitCode = code
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.builtContext?.kube.close()
    return super.finally(error)
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text
}

/** oclif's parse errors as one line: its "The following error(s) occurred:" heading and help footer dropped, every reason kept. */
export function parseErrorLine(text: string): string {
  const reasons = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^The following errors? occurred:?$/.test(l) && !/^See more help with/.test(l))
  return reasons.join('; ') || firstLine(text)
}
