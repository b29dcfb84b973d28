import assert from 'node:assert/strict'
import {execFile, execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {promisify} from 'node:util'
import {COMMANDS} from '../../commands/index.ts'
import {kubectlBin} from '../helpers/sandbox.ts'
import {requireBuiltRelease, testReleaseDir} from '../helpers/paths.ts'

const run = promisify(execFile)

describe('the single executable, unpacked from its release archive, through real kubectl', () => {
  let dir = ''
  let env: Record<string, string> = {}

  before(() => {
    requireBuiltRelease()
    dir = mkdtempSync(path.join(tmpdir(), 'gw-sea-'))
    const bin = path.join(dir, 'bin')
    mkdirSync(bin)
    const archive = readdirSync(testReleaseDir).find((f) => f.endsWith('.tar.gz'))
    assert.ok(archive, `no archive in ${testReleaseDir}`)
    execFileSync('tar', ['-xzf', path.join(testReleaseDir, archive), '-C', bin])
    // No Node on PATH: the executable must carry its own.
    env = {PATH: `${bin}:/usr/bin:/bin`, HOME: dir, KUBECTL_GW_SANDBOX_DIR: path.join(dir, 'sandbox'), KUBECONFIG: path.join(dir, 'sandbox', 'kubeconfig')}
  })

  after(async () => {
    await run(path.join(dir, 'bin', 'kubectl-gw'), ['sandbox', 'down'], {env}).catch(() => undefined)
    rmSync(dir, {recursive: true, force: true})
  })

  it('`kubectl gw version --client` runs without a Node on PATH', async () => {
    const {stdout} = await run(kubectlBin, ['gw', 'version', '--client'], {env})
    assert.match(stdout, new RegExp(`^Client Version: \\d+\\.\\d+\\.\\d+ \\(node ${process.version.replace(/\./g, '\\.')}, `))
  })

  it('starts the sandbox in the background and `kubectl gw version` reads it', async () => {
    await run(kubectlBin, ['gw', 'sandbox', 'up', '--detach', '--world', 'empty'], {env})
    const {stdout} = await run(kubectlBin, ['gw', 'version', '-o', 'json'], {env})
    const info = JSON.parse(stdout) as {server?: {kubernetes: string; networkingIstioVersions: string[]}}
    assert.match(info.server?.kubernetes ?? '', /^v1\.\d+/)
    assert.ok(info.server?.networkingIstioVersions.includes('v1'), stdout)
  })

  it('linked as kubectl_complete-gw (the krew caveat), it answers kubectl\'s completion calls', async () => {
    symlinkSync(path.join(dir, 'bin', 'kubectl-gw'), path.join(dir, 'bin', 'kubectl_complete-gw'))
    const {stdout} = await run(kubectlBin, ['__complete', 'gw', 'certs', 'ro'], {env})
    assert.match(stdout, /^rotate\t.*\n:4\n$/)
  })

  it('every registered command answers --help under its kubectl gw name', async () => {
    const ids = Object.keys(COMMANDS).filter((id) => id !== 'help')
    assert.ok(ids.length >= 9, `the registry lists the commands (${ids.join(', ')})`)
    await Promise.all(
      ids.map(async (id) => {
        const words = id.split(':')
        const {stdout} = await run(kubectlBin, ['gw', ...words, '--help'], {env})
        assert.match(stdout, new RegExp(`\\$ kubectl gw ${words.join(' ')}\\b`), `${id} --help`)
      }),
    )
  })
})
