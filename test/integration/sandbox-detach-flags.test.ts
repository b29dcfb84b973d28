import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, describe, it} from 'node:test'
import {promisify} from 'node:util'
import {gwBin} from '../helpers/paths.ts'

const run = promisify(execFile)

describe('sandbox up --detach with every flag given explicitly', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-flags-'))
  const kubeconfig = path.join(dir, 'out', 'kubeconfig')
  const env = {PATH: process.env.PATH ?? '', HOME: dir}
  after(async () => {
    await run(gwBin, ['sandbox', 'down', '--state-dir', dir], {env}).catch(() => undefined)
    rmSync(dir, {recursive: true, force: true})
  })

  it('passes them to the background process once each, and the sandbox honours them', async () => {
    await run(gwBin, ['sandbox', 'up', '--detach', '--state-dir', dir, '--kubeconfig-out', kubeconfig, '--world', 'empty', '--istio-version', '1.21'], {env, timeout: 60_000})
    const {stdout} = await run(gwBin, ['sandbox', 'status', '--state-dir', dir, '-o', 'json'], {env})
    const status = JSON.parse(stdout) as {running: boolean; world: string; istioVersion: string; kubeconfig: string}
    assert.deepEqual({running: status.running, world: status.world, istioVersion: status.istioVersion, kubeconfig: status.kubeconfig}, {running: true, world: 'empty', istioVersion: '1.21', kubeconfig})
    // Istio 1.21 serves no networking.istio.io/v1 (added in 1.22): the version flag reached the server.
    const version = await run(gwBin, ['version', '-o', 'json', '--kubeconfig', kubeconfig], {env})
    assert.deepEqual(JSON.parse(version.stdout).server.networkingIstioVersions, ['v1beta1', 'v1alpha3'])
  })
})
