// Entry point of the kubectl-gw executable (the sh wrapper beside it picks the Node binary).
import module from 'node:module'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 22 || (major === 22 && minor < 20)) {
  process.stderr.write(`error: kubectl-gw needs Node.js >= 22.20; this is ${process.version} (install a newer Node, or run from a checkout after 'npm ci')\n`)
  process.exit(2)
}
module.enableCompileCache?.()
// The version check above is the one users need; oclif's own would load semver at every start.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
// Stack traces are shown only with --verbose; then they should name the TypeScript sources, not bundle chunks.
if (process.argv.includes('--verbose')) process.setSourceMapsEnabled(true)
const {main} = await import('../dist/bundle/main.js')
await main(process.argv.slice(2), import.meta.url)
