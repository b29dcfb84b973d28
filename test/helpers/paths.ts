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

/**
 * The `skip` option of a suite that needs an external binary: false when it is installed; a reason
 * to skip on a developer's machine without it; and in CI (CI=true) a thrown error, so that a
 * missing binary fails the run instead of passing it silently.
 */
export function skipUnlessInstalled(binary: string | undefined, what: string, env: NodeJS.ProcessEnv = process.env): string | false {
  if (binary && existsSync(binary)) return false
  const reason = `${what} not installed${binary ? ` at ${binary}` : ''}`
  if (env.CI === 'true' || env.CI === '1') throw new Error(`${reason}: CI must run this suite (install it)`)
  return reason
}
