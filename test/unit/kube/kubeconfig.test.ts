import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'
import {loadClusterConnection} from '../../../src/kube/kubeconfig.ts'
import {UsageError} from '../../../src/errors.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'gw-kubeconfig-'))

function write(name: string, text: string): string {
  const file = path.join(dir, name)
  writeFileSync(file, text)
  return file
}

const first = write(
  'first.yaml',
  `apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: c1
  cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}
contexts:
- name: alpha
  context: {cluster: c1, user: u1, namespace: team-a}
- name: shared
  context: {cluster: c1, user: u1}
users:
- name: u1
  user: {token: first-token}
`,
)
const second = write(
  'second.yaml',
  `apiVersion: v1
kind: Config
current-context: beta
clusters:
- name: c2
  cluster: {server: "https://127.0.0.2:6443", certificate-authority: ca.pem}
contexts:
- name: beta
  context: {cluster: c2, user: u2}
- name: shared
  context: {cluster: c2, user: u2, namespace: ignored}
users:
- name: u2
  user: {tokenFile: token.txt}
`,
)
write('ca.pem', 'not really a CA')

describe('kubeconfig loading', () => {
  it('merges KUBECONFIG files with the first file winning, as kubectl does', async () => {
    const connection = await loadClusterConnection({env: {KUBECONFIG: `${first}:${second}`}})
    assert.equal(connection.contextName, 'alpha')
    assert.equal(connection.namespace, 'team-a')
    assert.equal(connection.token, 'first-token')
    const shared = await loadClusterConnection({context: 'shared', env: {KUBECONFIG: `${first}:${second}`}})
    assert.equal(shared.server, 'https://127.0.0.1:6443', 'the first definition of "shared" wins')
    assert.equal(shared.namespace, 'default')
  })

  it('reads a context defined only in the second file, resolving its relative paths there', async () => {
    const beta = await loadClusterConnection({context: 'beta', env: {KUBECONFIG: `${first}:${second}`}})
    assert.equal(beta.server, 'https://127.0.0.2:6443')
    assert.equal(beta.caData?.toString(), 'not really a CA')
    assert.equal(beta.tokenFile, path.join(dir, 'token.txt'))
  })

  it('defaults the namespace from flag, then context, then "default"', async () => {
    assert.equal((await loadClusterConnection({namespace: 'flag-ns', env: {KUBECONFIG: first}})).namespace, 'flag-ns')
    assert.equal((await loadClusterConnection({env: {KUBECONFIG: first}})).namespace, 'team-a')
    assert.equal((await loadClusterConnection({context: 'shared', env: {KUBECONFIG: first}})).namespace, 'default')
  })

  it('names an unknown context and lists the known ones', async () => {
    await assert.rejects(
      () => loadClusterConnection({context: 'nope', env: {KUBECONFIG: first}}),
      (error: unknown) => error instanceof UsageError && /context "nope" does not exist/.test(error.message) && /alpha, shared/.test(error.hint ?? ''),
    )
  })

  it('rejects a --kubeconfig that does not exist and a file that is not YAML, with the line', async () => {
    await assert.rejects(() => loadClusterConnection({kubeconfig: path.join(dir, 'missing'), env: {}}), /cannot read kubeconfig .*missing: no such file/)
    const broken = write('broken.yaml', 'clusters:\n  - name: x\n   bad: [\n')
    await assert.rejects(() => loadClusterConnection({kubeconfig: broken, env: {}}), (error: unknown) => error instanceof UsageError && /broken\.yaml:\d+ is not valid YAML/.test(error.message))
  })

  it('ignores missing KUBECONFIG entries but fails when none is left', async () => {
    assert.equal((await loadClusterConnection({env: {KUBECONFIG: `${path.join(dir, 'gone')}:${first}`}})).contextName, 'alpha')
    await assert.rejects(() => loadClusterConnection({env: {KUBECONFIG: path.join(dir, 'gone')}}), /no kubeconfig found/)
  })
})
