// The bundle's entry: oclif itself, bundled with the commands so that both share one copy. The npm
// install (bin/run.js) and the single executable (commands/main-sea.ts) both start here.
import {flush, Plugin, run, type Interfaces} from '@oclif/core'

export {flush, Plugin, run}

/**
 * Runs one kubectl-gw invocation and turns what failed before any command ran (an unknown command or
 * topic, help for one) into one kubectl-style line and exit 2; commands report their own errors.
 */
export async function main(argv: string[], load: Interfaces.LoadOptions): Promise<void> {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    // `kubectl gw ... | head` closes the pipe early: stop quietly, as kubectl does.
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
  try {
    await run(argv, load)
    await flush()
  } catch (error) {
    const failure = error as {message?: string; oclif?: {exit?: number}}
    const message = String(failure?.message ?? error).split('\n').find((line) => line.trim() !== '') ?? 'unknown error'
    const exit = failure?.oclif?.exit
    if (exit !== 0) process.stderr.write(`error: ${message.replace(/^\s*›?\s*Error:\s*/, '')} (see 'kubectl gw --help')\n`)
    process.exitCode = exit ?? 2
  }
}
