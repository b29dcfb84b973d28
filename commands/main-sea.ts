// Entry of the single executable (Node SEA, built by scripts/sea.ts): the same CLI with its package.json
// and command registry built in, because a single executable has no files beside it to read.
import path from 'node:path'
import type {Interfaces} from '@oclif/core'
import packageJson from '../package.json' with {type: 'json'}

// Bundled in chunks (scripts/sea.ts): this one and those it imports are the executable's main script.
async function runSea(): Promise<void> {
  // The executable carries its Node; oclif's engine check would only load semver at every start.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
  // oclif comes through main.ts: a split bundle gives import() of a CommonJS package only its default export.
  const [{COMMANDS}, {main, Plugin}] = await Promise.all([import('./index.ts'), import('./main.ts')])
  const root = path.dirname(process.execPath)
  const pjson = packageJson as unknown as Interfaces.PJSON
  // oclif's explicit discovery would import its target file; the registry is already here, so hand it
  // over (ignoreManifest: oclif builds the manifest from the classes, not from a file beside the binary).
  const plugin = new Plugin({root, pjson, isRoot: true, ignoreManifest: true})
  Object.assign(plugin, {commandCache: COMMANDS})
  await plugin.load()
  // Linked as kubectl_complete-gw (krew cannot install a second file), it answers kubectl's completion calls.
  const invokedAs = path.basename(process.argv[1] ?? '').replace(/\.exe$/i, '')
  const argv = invokedAs === 'kubectl_complete-gw' ? ['__complete', '--', ...process.argv.slice(2)] : process.argv.slice(2)
  await main(argv, {root, pjson, plugins: new Map([[plugin.name, plugin]])})
}

void runSea()
