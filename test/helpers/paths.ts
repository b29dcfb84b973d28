import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** ../shared beside the checkout (CI places it there); tests read references from it, never copy them. */
export const sharedDir = process.env.GW_SHARED_DIR ?? path.resolve(repoRoot, '..', 'shared')

/** The built executable (run `npm run build` first; `npm test` does). */
export const gwBin = path.join(repoRoot, 'bin', 'kubectl-gw')

/** Fails (never skips) when the bundle bin/kubectl-gw runs is missing: a test of the real CLI must run. */
export function requireBuiltCli(): void {
  if (!existsSync(path.join(repoRoot, 'dist', 'bundle', 'commands.js'))) throw new Error('the CLI is not built: run `npm run build` first (npm test does)')
}

/** The host-platform release `npm test` builds once per run (scripts/release.ts --platforms host --out dist/test-release). */
export const testReleaseDir = path.join(repoRoot, 'dist', 'test-release')

/** Fails (never skips) when that release is missing: the single executable must be tested. */
export function requireBuiltRelease(): void {
  if (!existsSync(path.join(testReleaseDir, 'krew-manifest.yaml'))) {
    throw new Error('the single-executable release is not built: run `node scripts/release.ts --platforms host --out dist/test-release` first (npm test does)')
  }
}
