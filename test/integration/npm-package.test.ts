import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {promisify} from 'node:util'
import {repoRoot, requireBuiltCli} from '../helpers/paths.ts'
import {kubectlBin} from '../helpers/sandbox.ts'

const run = promisify(execFile)

async function attempt(file: string, args: string[], options: {env: Record<string, string>; input?: string}): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = execFile(file, args, {env: options.env}, (error, stdout, stderr) => resolve({code: error ? Number(error.code ?? 1) : 0, stdout, stderr}))
    if (options.input !== undefined) child.stdin!.end(options.input)
  })
}

describe('the npm package: packed, installed globally into a temporary prefix, run through kubectl', () => {
  let dir = ''
  let files: string[] = []
  let env: Record<string, string> = {}
  // The Node running the tests (>= 22.20): installed from npm, the wrapper runs the `node` on PATH.
  const nodeDir = path.dirname(process.execPath)

  before(async () => {
    requireBuiltCli()
    dir = mkdtempSync(path.join(tmpdir(), 'gw-npm-'))
    // npm test has just built the bundle: pack what is there (a release's `npm pack` builds it in prepack).
    const {stdout} = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {cwd: repoRoot})
    const [packed] = JSON.parse(stdout) as {filename: string; files: {path: string}[]}[]
    files = packed!.files.map((f) => f.path)
    await run('npm', ['install', '-g', '--prefix', path.join(dir, 'prefix'), '--prefer-offline', '--no-audit', '--no-fund', path.join(dir, packed!.filename)], {cwd: dir})
    env = {
      PATH: `${path.join(dir, 'prefix', 'bin')}:${nodeDir}:/usr/bin:/bin`,
      HOME: dir,
      KUBECTL_GW_SANDBOX_DIR: path.join(dir, 'sandbox'),
      KUBECONFIG: path.join(dir, 'sandbox', 'kubeconfig'),
    }
  })

  after(async () => {
    await attempt(path.join(dir, 'prefix', 'bin', 'kubectl-gw'), ['sandbox', 'down'], {env})
    rmSync(dir, {recursive: true, force: true})
  })

  it('ships what runs and nothing else', () => {
    for (const needed of ['bin/run.js', 'bin/complete.js', 'dist/bundle/main.js', 'dist/bundle/commands.js', 'oclif.manifest.json', 'LICENSE', 'README.md', 'package.json']) {
      assert.ok(files.includes(needed), `${needed} is packed`)
    }
    const stray = files.filter((f) => !/^(bin\/|dist\/bundle\/|oclif\.manifest\.json$|LICENSE$|README\.md$|package\.json$)/.test(f))
    assert.deepEqual(stray, [])
  })

  it('`kubectl gw` runs from the install and lists its commands', async () => {
    const {stdout} = await run(kubectlBin, ['gw', '--help'], {env})
    assert.match(stdout, /\$ kubectl gw \[COMMAND\]/)
    assert.match(stdout, /scaffold\s+Generate/)
  })

  it('kubectl completes `kubectl gw` through the installed kubectl_complete-gw', async () => {
    const {stdout} = await run(kubectlBin, ['__complete', 'gw', 'cer'], {env})
    assert.match(stdout, /^certs\t.*\n:4\n$/)
  })

  it('the sandbox it starts validates Istio objects with the models installed as its dependencies', async () => {
    await run(kubectlBin, ['gw', 'sandbox', 'up', '--detach', '--world', 'empty'], {env})
    const invalid = 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bad, namespace: default}\nspec: {hosts: [x.example.com], http: [{route: [{destination: {host: x}, weight: "abc"}]}]}\n'
    const applied = await attempt(kubectlBin, ['apply', '-f', '-'], {env, input: invalid})
    assert.equal(applied.code, 1)
    assert.match(applied.stderr, /spec\.http\[0\]\.route\[0\]\.weight in body must be of type integer/)
  })
})
