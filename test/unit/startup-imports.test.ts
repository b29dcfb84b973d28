import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {describe, it} from 'node:test'
import {repoRoot} from '../helpers/paths.ts'

// A resolve hook in a fresh process records every module that loading the command registry pulls in.
// Hooks run on their own thread, whose process.stderr is flushed through the main thread and can be
// lost when the process exits (seen under load); writeSync to fd 2 is not.
const recorder = `
import {register} from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`
  import {writeSync} from 'node:fs'
  export async function resolve(specifier, context, next) {
    const result = await next(specifier, context)
    writeSync(2, 'LOADED ' + result.url + '\\\\n')
    return result
  }\`))
`

function modulesLoadedBy(entry: string): string[] {
  const child = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(recorder)}`, '--input-type=module', '-e', `await import(${JSON.stringify(entry)})`], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
  assert.equal(child.status, 0, child.stderr)
  return child.stderr
    .split('\n')
    .filter((line) => line.startsWith('LOADED '))
    .map((line) => line.slice('LOADED '.length))
}

describe('start-up cost: what every command pays', () => {
  it('declaring all commands loads no core logic and no heavy package (cores load inside run())', () => {
    const loaded = modulesLoadedBy(path.join(repoRoot, 'commands', 'index.ts'))
    assert.ok(loaded.some((url) => url.endsWith('/commands/version.ts')), 'the recorder saw the command modules')
    const heavy = [
      /\/src\/sandbox\/(api|mesh|controllers)\//,
      /\/src\/sandbox\/sandbox\.ts$/,
      /\/src\/certs\/(issue|create|inspect|rotate|secrets)\.ts$/,
      /\/src\/scaffold\/(?!.*options)/,
      /\/src\/kube\/(transport|kubeconfig)\.ts$/,
      /\/src\/canary\//,
      /\/plugins\//,
      /node_modules\/simple-ascii-chart\//,
      /node_modules\/(yaml|ajv|@peculiar|reflect-metadata|listr2|ora|@kubernetes-models|@kubernetes\/client-node|tar-stream)\//,
      /\/src\/(doctor|snapshot|findings)\//,
      // The admin door itself is light (the base command builds it); its parsers and the port-forward are not.
      /\/src\/envoy\/(?!admin\.ts$)/,
    ]
    const offenders = loaded.filter((url) => heavy.some((pattern) => pattern.test(url)))
    assert.deepEqual(offenders, [])
  })
})
