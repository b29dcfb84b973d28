import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'
import {useTempDir} from '../helpers/temp-dir.ts'
import {promisify} from 'node:util'
import {describe, it} from 'node:test'
import {issueCredential, keyTypes} from '../../src/certs/issue.ts'

const run = promisify(execFile)

/** `openssl verify` with args; resolves to {ok, output} instead of throwing on a failed verification. */
async function openssl(args: string[]): Promise<{ok: boolean; output: string}> {
  try {
    const {stdout, stderr} = await run('openssl', args)
    return {ok: true, output: stdout + stderr}
  } catch (error) {
    const e = error as {stdout?: string; stderr?: string}
    return {ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}`}
  }
}

describe('issued certificates pass openssl verify', () => {
  const tempDir = useTempDir('gw-certs-openssl-')

  for (const keyType of keyTypes) {
    it(`${keyType}: server verifies as sslserver for its hosts, client as sslclient, and not the other way round`, async () => {
      const bundle = await issueCredential({hosts: ['httpbin.example.com', '*.apps.example.com', '192.0.2.10'], keyType, days: 30, clients: ['alice'], now: new Date()})
      const files = {ca: path.join(tempDir(), `${keyType}-ca.crt`), server: path.join(tempDir(), `${keyType}-tls.crt`), client: path.join(tempDir(), `${keyType}-client.crt`)}
      await writeFile(files.ca, bundle.ca.certificate)
      await writeFile(files.server, bundle.server.certificate)
      await writeFile(files.client, bundle.clients[0]?.certificate ?? '')

      const server = await openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslserver', '-verify_hostname', 'httpbin.example.com', files.server])
      assert.ok(server.ok, server.output)
      assert.match(server.output, /: OK/)
      assert.ok((await openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslserver', '-verify_hostname', 'web.apps.example.com', files.server])).ok, 'wildcard SAN')
      assert.ok((await openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslserver', '-verify_ip', '192.0.2.10', files.server])).ok, 'IP SAN')
      assert.equal((await openssl(['verify', '-CAfile', files.ca, '-verify_hostname', 'apps.example.com', files.server])).ok, false, 'a wildcard does not cover its apex')
      assert.equal((await openssl(['verify', '-CAfile', files.ca, '-verify_hostname', 'other.example.org', files.server])).ok, false)

      const client = await openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslclient', files.client])
      assert.ok(client.ok, client.output)
      assert.equal((await openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslclient', files.server])).ok, false, 'server cert is serverAuth only')
      assert.equal((await openssl(['verify', '-CAfile', files.ca, '-purpose', 'sslserver', files.client])).ok, false, 'client cert is clientAuth only')

      const text = (await openssl(['x509', '-in', files.ca, '-noout', '-text'])).output
      assert.match(text, /Basic Constraints: critical\s+CA:TRUE/)
      assert.match(text, /Key Usage: critical\s+Certificate Sign, CRL Sign/)
      const leaf = (await openssl(['x509', '-in', files.server, '-noout', '-text'])).output
      assert.match(leaf, /Basic Constraints: critical\s+CA:FALSE/)
      assert.match(leaf, keyType === 'ecdsa-p256' ? /Key Usage: critical\s+Digital Signature\n/ : /Key Usage: critical\s+Digital Signature, Key Encipherment/)
      assert.match(leaf, /Subject: CN ?= ?httpbin\.example\.com/)
      assert.match(leaf, /Authority Key Identifier/)
      assert.match(leaf, /DNS:httpbin\.example\.com, DNS:\*\.apps\.example\.com, IP Address:192\.0\.2\.10/)
    })
  }
})
