// Entry point of the kubectl-gw executable (the sh wrapper beside it picks the Node binary).
import module from 'node:module'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 20)) {
  process.stderr.write(`error: kubectl-gw needs Node.js >= 22.20; this is ${process.version} (install a newer Node, or run from a checkout after 'npm ci')\n`)
  process.exit(2)
}
module.enableCompileCache?.()
// Stack traces are shown only with --verbose; then they should name the TypeScript sources, not bundle chunks.
if (process.argv.includes('--verbose')) process.setSourceMapsEnabled(true)
process.stdout.on('error', (error) => {
  // `kubectl gw ... | head` closes the pipe early: stop quietly, as kubectl does.
  if (error.code === 'EPIPE') process.exit(0)
  throw error
})
const {run, flush} = await import('../dist/bundle/main.js')
try {
  await run(process.argv.slice(2), import.meta.url)
  await flush()
} catch (error) {
  // Commands report their own errors; what arrives here failed before any command ran (an unknown
  // command or topic, help for one): one line, kubectl style, exit 2 as a usage error.
  const message = String(error?.message ?? error).split('\n').find((line) => line.trim() !== '') ?? 'unknown error'
  const exit = error?.oclif?.exit
  if (exit !== 0) process.stderr.write(`error: ${message.replace(/^\s*›?\s*Error:\s*/, '')} (see 'kubectl gw --help')\n`)
  process.exitCode = exit ?? 2
}
