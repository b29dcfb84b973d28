import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

/** Writes a one-context kubeconfig for tests and returns its path. */
export function writeTestKubeconfig(options: {server: string; token?: string; namespace?: string; caPem?: string; insecure?: boolean}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-test-kubeconfig-'))
  const file = path.join(dir, 'config')
  const cluster: string[] = [`    server: ${options.server}`]
  if (options.caPem) cluster.push(`    certificate-authority-data: ${Buffer.from(options.caPem).toString('base64')}`)
  if (options.insecure) cluster.push('    insecure-skip-tls-verify: true')
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
current-context: test
clusters:
- name: test
  cluster:
${cluster.join('\n')}
contexts:
- name: test
  context:
    cluster: test
    user: test
${options.namespace ? `    namespace: ${options.namespace}\n` : ''}users:
- name: test
  user:
    token: ${options.token ?? 'test-token'}
`,
  )
  return file
}
