import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {gwBin} from '../helpers/paths.ts'
import {kubectlBin} from '../helpers/sandbox.ts'

function run(bin: string, args: string[], env: Record<string, string>): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    execFile(bin, args, {env: {PATH: process.env.PATH ?? '', HOME: env.HOME ?? os.tmpdir(), ...env}, timeout: 60_000}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
    })
  })
}

describe('kubectl gw sandbox up --detach | status | down (built CLI)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-cli-'))
  const env = {KUBECTL_GW_SANDBOX_DIR: dir, HOME: dir}
  after(async () => {
    await run(gwBin, ['sandbox', 'down'], env)
    rmSync(dir, {recursive: true, force: true})
  })

  it('starts detached, reports status as JSON, serves kubectl, and stops', async () => {
    const up = await run(gwBin, ['sandbox', 'up', '--detach', '--world', 'empty'], env)
    assert.equal(up.code, 0, up.stderr)
    assert.match(up.stdout, /Sandbox ready at https:\/\/127\.0\.0\.1:\d+/)
    const status = await run(gwBin, ['sandbox', 'status', '-o', 'json'], env)
    const parsed = JSON.parse(status.stdout) as Record<string, unknown>
    assert.deepEqual(Object.keys(parsed).sort(), ['context', 'istioVersion', 'kubeconfig', 'metricsUrl', 'pid', 'running', 'startedAt', 'stateDir', 'url', 'world'])
    assert.equal(parsed.running, true)
    assert.match(String(parsed.metricsUrl), /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    assert.match(up.stdout, /scrape_configs:\n\s+- job_name: kubectl-gw-sandbox/)
    const metrics = await fetch(String(parsed.metricsUrl))
    assert.equal(metrics.status, 200)
    assert.match(await metrics.text(), /^envoy_server_state\{namespace="istio-system",pod="istio-ingressgateway-[^"]+"\} 0$/m)
    assert.equal(parsed.kubeconfig, path.join(dir, 'kubeconfig'))
    assert.equal(statSync(path.join(dir, 'kubeconfig')).mode & 0o777, 0o600)
    assert.match(readFileSync(path.join(dir, 'kubeconfig'), 'utf8'), /current-context: gw-sandbox/)
    const again = await run(gwBin, ['sandbox', 'up', '--detach'], env)
    assert.equal(again.code, 2, 'a second sandbox on the same state is a usage error')
    assert.match(again.stderr, /already runs/)
    const pods = await run(kubectlBin, ['get', 'pods', '-n', 'istio-system', '-o', 'name'], {...env, KUBECONFIG: path.join(dir, 'kubeconfig')})
    assert.equal(pods.stdout.trim().split('\n').length, 4, pods.stderr)
    const down = await run(gwBin, ['sandbox', 'down'], env)
    assert.equal(down.code, 0, down.stderr)
    assert.match(down.stdout, /stopped/)
    const stopped = JSON.parse((await run(gwBin, ['sandbox', 'status', '-o', 'json'], env)).stdout) as {running: boolean}
    assert.deepEqual(stopped, {running: false, stateDir: dir})
  })

  it('rejects a malformed --istio-version with exit 2', async () => {
    const bad = await run(gwBin, ['sandbox', 'up', '--istio-version', 'latest'], env)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--istio-version latest/)
  })
})
