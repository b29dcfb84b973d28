import {chmodSync, mkdirSync, renameSync, writeFileSync} from 'node:fs'

/** The sandbox's folder holds its CA key and token: 0700 always, also when it already existed with looser bits. */
export function ensurePrivateDir(directory: string): void {
  mkdirSync(directory, {recursive: true, mode: 0o700})
  chmodSync(directory, 0o700)
}

/**
 * Writes a file holding a secret (token, key, kubeconfig) as 0600: a new file renamed over the old
 * one, so an existing 0644 file never holds the secret, not even for a moment.
 */
export function writePrivateFile(file: string, text: string): void {
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, text, {mode: 0o600})
  chmodSync(temp, 0o600)
  renameSync(temp, file)
}
