import path from 'node:path'

/** ~/.kubectl-gw/sandbox: where the sandbox keeps its state, CA, token, pid file and log by default. */
export function defaultStateDir(home: string): string {
  return path.join(home, '.kubectl-gw', 'sandbox')
}

/** --state-dir, else $KUBECTL_GW_SANDBOX_DIR, else the default. */
export function resolveStateDir(options: {flag?: string; env?: string; home: string}): string {
  return path.resolve(options.flag || options.env || defaultStateDir(options.home))
}
