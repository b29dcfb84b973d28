#!/usr/bin/env node
// Entry point of kubectl-gw. npm links it as kubectl-gw and runs it with the node on PATH (no shell,
// no readlink: a few ms of every start); from a checkout, the sh wrapper bin/kubectl-gw runs it with
// the pinned Node in node_modules.
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
if (process.argv[2] === '__complete') {
  // A TAB must be quick: answer from the command manifest (oclif's metadata of the registry) without starting oclif.
  const {readFileSync} = await import('node:fs')
  const json = (file) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'))
  const [manifest, pjson] = [json('oclif.manifest.json'), json('package.json')]
  const topics = Object.entries(pjson.oclif?.topics ?? {}).map(([name, topic]) => ({name, description: topic.description}))
  const {completeCommandLine} = await import('../dist/bundle/complete.js')
  process.stdout.write(await completeCommandLine({commands: Object.values(manifest.commands), topics, words: process.argv.slice(3), env: process.env}))
} else {
  const {main} = await import('../dist/bundle/main.js')
  await main(process.argv.slice(2), import.meta.url)
}
