import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'
import {promisify} from 'node:util'
import {gwBin, repoRoot} from '../helpers/paths.ts'
import {writeTestKubeconfig} from '../helpers/kubeconfig.ts'

const run = promisify(execFile)
const kubectl = '/usr/bin/kubectl'

/** PATH with the plugin's bin/ first, as a user who put it on PATH would have; no pinned Node on it on purpose. */
const pluginPath = `${path.join(repoRoot, 'bin')}:/usr/local/bin:/usr/bin:/bin`

async function gw(args: string[], env: Record<string, string> = {}): Promise<{stdout: string; stderr: string; code: number}> {
  try {
    const {stdout, stderr} = await run(gwBin, args, {env: {PATH: pluginPath, HOME: mkdtempSync(path.join(tmpdir(), 'gw-home-')), ...env}})
    return {stdout, stderr, code: 0}
  } catch (error) {
    const failed = error as {stdout: string; stderr: string; code: number}
    return {stdout: failed.stdout, stderr: failed.stderr, code: failed.code}
  }
}

describe('the kubectl-gw executable', () => {
  it('real kubectl dispatches `kubectl gw version --client` to it', async () => {
    const {stdout} = await run(kubectl, ['gw', 'version', '--client'], {env: {PATH: pluginPath, HOME: tmpdir()}})
    assert.match(stdout, /^Client Version: \d+\.\d+\.\d+ \(node v2[2-9]\./)
  })

  it('`kubectl plugin list` shows it', async () => {
    const {stdout} = await run(kubectl, ['plugin', 'list'], {env: {PATH: pluginPath, HOME: tmpdir()}}).catch((error: {stdout: string}) => ({stdout: error.stdout}))
    assert.match(stdout, /\/bin\/kubectl-gw$/m)
  })

  it('`kubectl gw --help` lists the commands under the kubectl gw name', async () => {
    const {stdout} = await run(kubectl, ['gw', '--help'], {env: {PATH: pluginPath, HOME: tmpdir()}})
    assert.match(stdout, /\$ kubectl gw \[COMMAND\]/)
    assert.match(stdout, /version\s+Print the client version/)
  })

  it('a kubeconfig that is not YAML: one line naming the file and line, exit 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-bad-'))
    const file = path.join(dir, 'config')
    writeFileSync(file, 'apiVersion: v1\nclusters: [\n  - name: x\n  bad\n')
    const {stderr, code} = await gw(['version', '--kubeconfig', file])
    assert.equal(code, 2)
    assert.equal(stderr.trim().split('\n').length, 1, stderr)
    assert.match(stderr, new RegExp(`^error: kubeconfig ${file}:\\d+ is not valid YAML`))
  })

  it('an unknown context: one line listing the known ones, exit 2', async () => {
    const file = writeTestKubeconfig({server: 'https://127.0.0.1:6443'})
    const {stderr, code} = await gw(['version', '--context', 'prod'], {KUBECONFIG: file})
    assert.equal(code, 2)
    assert.equal(stderr.trim(), 'error: context "prod" does not exist (known contexts: test)')
  })

  it('an unreachable server: one line, exit 3, no stack trace', async () => {
    const probe = http.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as {port: number}).port
    await new Promise((resolve) => probe.close(resolve))
    const file = writeTestKubeconfig({server: `https://127.0.0.1:${port}`})
    const {stderr, code} = await gw(['version'], {KUBECONFIG: file})
    assert.equal(code, 3)
    assert.equal(stderr.trim().split('\n').length, 1, stderr)
    assert.match(stderr, new RegExp(`^error: The connection to the server 127\\.0\\.0\\.1:${port} was refused`))
    assert.doesNotMatch(stderr, /at .*\.js:\d+/)
  })

  it('--verbose adds the stack trace', async () => {
    const file = writeTestKubeconfig({server: 'https://127.0.0.1:6443'})
    const {stderr, code} = await gw(['version', '--context', 'prod', '--verbose'], {KUBECONFIG: file})
    assert.equal(code, 2)
    assert.match(stderr, /at .*src\/kube\/kubeconfig\.ts:\d+/)
  })
})

describe('commands that do not exist', () => {
  it('an unknown command: one line, exit 2', async () => {
    const {stderr, code} = await gw(['frobnicate'])
    assert.equal(code, 2)
    assert.equal(stderr.trim(), "error: command frobnicate not found (see 'kubectl gw --help')")
  })

  it('`kubectl gw help certs create` shows that command\'s help', async () => {
    const {stdout, code} = await gw(['help', 'certs', 'create'])
    assert.equal(code, 0)
    assert.match(stdout, /\$ kubectl gw certs create SECRET --host/)
  })
})
