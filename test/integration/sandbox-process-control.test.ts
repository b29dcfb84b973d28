import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {gwBin, requireBuiltCli} from '../helpers/paths.ts'
import {kubectlBin} from '../helpers/sandbox.ts'

function run(args: string[], env: Record<string, string>): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    execFile(gwBin, args, {env: {PATH: process.env.PATH ?? '', ...env}, timeout: 60_000}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
    })
  })
}

describe('sandbox process control, secrets at rest and a corrupt state file (built CLI)', () => {
  requireBuiltCli()
  const root = mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-control-'))
  after(() => rmSync(root, {recursive: true, force: true}))

  it('sandbox down never signals a process named by a stale pid file, and removes the file', async () => {
    const dir = path.join(root, 'stale')
    mkdirSync(dir)
    const bystander = spawn('sleep', ['60'], {stdio: 'ignore'})
    const exited = new Promise((resolve) => bystander.once('exit', resolve))
    try {
      writeFileSync(path.join(dir, 'sandbox.json'), JSON.stringify({pid: bystander.pid, url: 'https://127.0.0.1:1', port: 1, kubeconfig: path.join(dir, 'kubeconfig'), context: 'gw-sandbox', stateDir: dir, istioVersion: '1.28', world: 'empty', startedAt: new Date().toISOString()}))
      const down = await run(['sandbox', 'down', '--state-dir', dir], {HOME: root})
      assert.equal(down.code, 0, down.stderr)
      assert.match(down.stdout, /No sandbox runs from .*removed the stale pid file/)
      const status = await run(['sandbox', 'status', '--state-dir', dir, '-o', 'json'], {HOME: root})
      assert.deepEqual(JSON.parse(status.stdout), {running: false, stateDir: dir})
      assert.equal(bystander.exitCode, null, 'the unrelated process is still running')
      assert.equal(bystander.signalCode, null, 'the unrelated process got no signal')
    } finally {
      bystander.kill()
      await exited
    }
  })

  it('two concurrent `up` on one folder start one sandbox; the folder becomes 0700 and the kubeconfig 0600', async () => {
    const dir = path.join(root, 'shared')
    mkdirSync(dir, {mode: 0o777})
    chmodSync(dir, 0o777)
    const kubeconfigOut = path.join(root, 'existing.kubeconfig')
    writeFileSync(kubeconfigOut, 'old contents\n', {mode: 0o644})
    chmodSync(kubeconfigOut, 0o644)
    const args = ['sandbox', 'up', '--detach', '--world', 'empty', '--state-dir', dir, '--kubeconfig-out', kubeconfigOut]
    try {
      const results = await Promise.all([run(args, {HOME: root}), run(args, {HOME: root})])
      const codes = results.map((r) => r.code).sort()
      assert.deepEqual(codes, [0, 2], results.map((r) => r.stderr).join('\n'))
      assert.match(results.find((r) => r.code === 2)!.stderr, /a sandbox already runs from/)
      assert.equal(statSync(dir).mode & 0o777, 0o700, 'the state folder is private')
      assert.equal(statSync(kubeconfigOut).mode & 0o777, 0o600, 'the kubeconfig with the bearer token is private')
      assert.match(readFileSync(kubeconfigOut, 'utf8'), /token: /)
    } finally {
      const down = await run(['sandbox', 'down', '--state-dir', dir], {HOME: root})
      assert.equal(down.code, 0, down.stderr)
      assert.match(down.stdout, /stopped/)
    }
    // A state file torn by something outside the sandbox: the message names it and the way out.
    writeFileSync(path.join(dir, 'state.json'), '{"format":1,"objects":[{"gro')
    const corrupt = await run(['sandbox', 'up', '--detach', '--state-dir', dir], {HOME: root})
    assert.equal(corrupt.code, 2, corrupt.stderr)
    assert.match(corrupt.stderr, new RegExp(`${path.join(dir, 'state.json').replaceAll('/', '\\/')} is corrupt`))
    assert.match(corrupt.stderr, /--reset/)
    const reset = await run(['sandbox', 'up', '--detach', '--reset', '--state-dir', dir], {HOME: root})
    assert.equal(reset.code, 0, reset.stderr)
    assert.equal((await run(['sandbox', 'down', '--state-dir', dir], {HOME: root})).code, 0)
  })

  it('down stops at once with a kubectl port-forward still connected, and the port-forward ends', async () => {
    const dir = path.join(root, 'forwarded')
    const env = {HOME: root, KUBECONFIG: path.join(dir, 'kubeconfig')}
    const up = await run(['sandbox', 'up', '--detach', '--state-dir', dir], {HOME: root})
    assert.equal(up.code, 0, up.stderr)
    const forward = spawn(kubectlBin, ['-n', 'istio-system', 'port-forward', 'svc/istio-ingressgateway', ':443'], {env: {PATH: process.env.PATH ?? '', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    const forwardExited = new Promise<number | null>((resolve) => forward.once('exit', (code) => resolve(code)))
    try {
      const localPort = await new Promise<number>((resolve, reject) => {
        forward.stdout.on('data', (chunk: Buffer) => {
          const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(chunk.toString())?.[1]
          if (port) resolve(Number(port))
        })
        forward.once('exit', () => reject(new Error('port-forward exited before forwarding')))
      })
      const started = Date.now()
      const down = await run(['sandbox', 'down', '--state-dir', dir], {HOME: root})
      assert.equal(down.code, 0, down.stderr)
      assert.ok(Date.now() - started < 10_000, `down took ${Date.now() - started} ms`)
      // kubectl finds its stream gone when it next uses it, and ends, as when a real API server goes away.
      net.connect(localPort, '127.0.0.1').on('error', () => undefined)
      const code = await Promise.race([forwardExited, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 10_000))])
      assert.equal(code, 1)
    } finally {
      forward.kill()
      await forwardExited
    }
  })
})
