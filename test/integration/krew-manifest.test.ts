import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {before, describe, it} from 'node:test'
import {parse} from 'yaml'
import {sha256File} from '../../scripts/release.ts'
import {archiveName} from '../../scripts/krew-manifest.ts'
import {hostPlatform} from '../../scripts/sea.ts'
import {repoRoot, requireBuiltRelease, testReleaseDir} from '../helpers/paths.ts'

interface KrewPlatform {
  selector: {matchLabels: {os: string; arch: string}}
  uri: string
  sha256: string
  bin: string
  files?: {from: string; to: string}[]
}

interface KrewPlugin {
  apiVersion: string
  kind: string
  metadata: {name: string}
  spec: {version: string; homepage: string; shortDescription: string; description: string; caveats: string; platforms: KrewPlatform[]}
}

// The pairs krew-index CI accepts (validate-krew-manifest), and the semver krew requires.
const krewPairs = new Set(['windows/386', 'windows/amd64', 'windows/arm64', 'linux/386', 'linux/amd64', 'linux/arm', 'linux/arm64', 'linux/ppc64le', 'darwin/386', 'darwin/amd64', 'darwin/arm64'])
const strictSemver = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {version: string; homepage: string}

/** krew's ValidatePlugin rules and krew-index's CI platform rules (../shared/reference/shipping.md section 2). */
function assertValidKrewPlugin(plugin: KrewPlugin): void {
  assert.equal(plugin.apiVersion, 'krew.googlecontainertools.github.com/v1alpha2')
  assert.equal(plugin.kind, 'Plugin')
  assert.match(plugin.metadata.name, /^[\w-]+$/)
  assert.match(plugin.spec.version, strictSemver)
  assert.equal(plugin.spec.version, `v${pkg.version}`)
  assert.ok(plugin.spec.shortDescription.trim() !== '' && !plugin.spec.shortDescription.includes('\n'), 'shortDescription: one non-empty line')
  assert.ok(plugin.spec.platforms.length > 0)
  const pairs = plugin.spec.platforms.map((p) => {
    assert.deepEqual(Object.keys(p.selector.matchLabels).sort(), ['arch', 'os'])
    const pair = `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`
    assert.ok(krewPairs.has(pair), `${pair} is not a platform krew knows`)
    assert.match(p.sha256, /^[a-f0-9]{64}$/)
    assert.equal(p.bin, p.selector.matchLabels.os === 'windows' ? 'kubectl-gw.exe' : 'kubectl-gw', 'Windows runs only .exe entry points')
    assert.ok(p.files?.some((f) => f.from === p.bin), `${pair}: the bin is among the installed files`)
    assert.ok(p.files?.some((f) => /^licen[sc]e/i.test(f.from)), `${pair}: krew-index installs a LICENSE`)
    assert.equal(path.basename(new URL(p.uri).pathname), archiveName(pkg.version, {os: p.selector.matchLabels.os as 'linux', arch: p.selector.matchLabels.arch as 'amd64'}))
    return pair
  })
  assert.equal(new Set(pairs).size, pairs.length, 'no two platforms match the same os/arch')
}

const readManifest = (file: string) => parse(readFileSync(file, 'utf8')) as KrewPlugin

describe('krew manifest', () => {
  before(requireBuiltRelease)

  it('the release manifest names each built archive with its sha256, and the archive holds the bin and LICENSE', () => {
    const manifest = readManifest(path.join(testReleaseDir, 'krew-manifest.yaml'))
    assertValidKrewPlugin(manifest)
    assert.deepEqual(
      manifest.spec.platforms.map((p) => p.selector.matchLabels),
      [{os: hostPlatform.os, arch: hostPlatform.arch}],
    )
    for (const platform of manifest.spec.platforms) {
      const archive = path.join(testReleaseDir, path.basename(new URL(platform.uri).pathname))
      assert.equal(sha256File(archive), platform.sha256, `${archive}: sha256`)
      const listed = execFileSync('tar', ['-tzf', archive], {encoding: 'utf8'}).split('\n').filter(Boolean).sort()
      assert.deepEqual(listed, [platform.bin, 'LICENSE'].sort())
    }
    const sums = readFileSync(path.join(testReleaseDir, 'SHA256SUMS'), 'utf8')
    for (const platform of manifest.spec.platforms) assert.ok(sums.includes(`${platform.sha256}  ${path.basename(platform.uri)}\n`), 'SHA256SUMS lists it')
  })

  it('krew-manifest.yaml at the repo root is the generator\'s output for every platform the release builds', () => {
    const committed = readManifest(path.join(repoRoot, 'krew-manifest.yaml'))
    assertValidKrewPlugin(committed)
    assert.deepEqual(committed.spec.platforms.map((p) => `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`), ['darwin/amd64', 'darwin/arm64', 'linux/amd64', 'linux/arm64', 'windows/amd64'])
    assert.ok(committed.spec.platforms.every((p) => p.uri.startsWith(`${pkg.homepage}/releases/download/v${pkg.version}/`)))
    // Everything but the checksums (which belong to one build) matches what the release writes today.
    const fresh = readManifest(path.join(testReleaseDir, 'krew-manifest.yaml'))
    const withoutPlatforms = ({spec: {platforms: _p, ...spec}, ...rest}: KrewPlugin) => ({...rest, spec})
    assert.deepEqual(withoutPlatforms(committed), withoutPlatforms(fresh))
    const hostEntry = committed.spec.platforms.find((p) => p.selector.matchLabels.os === hostPlatform.os && p.selector.matchLabels.arch === hostPlatform.arch)
    assert.deepEqual({...hostEntry, sha256: undefined}, {...fresh.spec.platforms[0], sha256: undefined})
  })
})
