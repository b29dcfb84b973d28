import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {useTempDir} from '../helpers/temp-dir.ts'
import {after, describe, it} from 'node:test'
import {issueCredential, loadCertificateAuthority, type CredentialBundle} from '../../src/certs/issue.ts'

interface CurlResult {
  code: number
  body: string
  stderr: string
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, {cwd}, (error, _stdout, stderr) => (error ? reject(new Error(`openssl ${args[0]}: ${stderr}`)) : resolve()))
  })
}

function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], (error, stdout, stderr) => {
      resolve({code: error ? Number((error as {code?: number}).code ?? 1) : 0, body: stdout, stderr})
    })
  })
}

async function listen(bundle: CredentialBundle, mutual: boolean): Promise<{server: Server; port: number}> {
  const server = createServer(
    {
      cert: bundle.server.certificate,
      key: bundle.server.privateKey,
      ...(mutual ? {ca: bundle.ca.certificate, requestCert: true, rejectUnauthorized: true} : {}),
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate()
      res.end(`hello ${peer?.subject?.CN ?? 'anonymous'}\n`)
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {server, port: (server.address() as AddressInfo).port}
}

describe('a TLS server with the generated credential, checked with curl', () => {
  const tempDir = useTempDir('gw-certs-tls-')
  const servers: Server[] = []
  after(() => {
    for (const server of servers) server.close()
  })

  async function setup(hosts: string[], mutual: boolean, keyType: 'ecdsa-p256' | 'rsa-2048' = 'ecdsa-p256') {
    const bundle = await issueCredential({hosts, keyType, days: 7, clients: mutual ? ['alice'] : [], now: new Date()})
    const sub = await mkdtemp(path.join(tempDir(), 'c-'))
    const files = {ca: path.join(sub, 'ca.crt'), cert: path.join(sub, 'client.crt'), key: path.join(sub, 'client.key')}
    await writeFile(files.ca, bundle.ca.certificate)
    if (mutual) {
      await writeFile(files.cert, bundle.clients[0]?.certificate ?? '')
      await writeFile(files.key, bundle.clients[0]?.privateKey ?? '', {mode: 0o600})
    }
    const {server, port} = await listen(bundle, mutual)
    servers.push(server)
    return {files, port}
  }

  it('SIMPLE: curl --cacert ca.crt trusts the server for its host', async () => {
    const {files, port} = await setup(['httpbin.example.com'], false, 'rsa-2048')
    const ok = await curl(['--cacert', files.ca, '--resolve', `httpbin.example.com:${port}:127.0.0.1`, `https://httpbin.example.com:${port}/`])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(ok.body, 'hello anonymous\n')
    const otherHost = await curl(['--cacert', files.ca, '--resolve', `other.example.com:${port}:127.0.0.1`, `https://other.example.com:${port}/`])
    assert.notEqual(otherHost.code, 0, 'a host not in the SANs is refused')
  })

  it('a wildcard host works for a subdomain and not for the apex', async () => {
    const {files, port} = await setup(['*.example.com'], false)
    const sub = await curl(['--cacert', files.ca, '--resolve', `api.example.com:${port}:127.0.0.1`, `https://api.example.com:${port}/`])
    assert.equal(sub.code, 0, sub.stderr)
    const apex = await curl(['--cacert', files.ca, '--resolve', `example.com:${port}:127.0.0.1`, `https://example.com:${port}/`])
    assert.notEqual(apex.code, 0)
    assert.match(apex.stderr, /certificate|SSL/i)
  })

  it('MUTUAL: accepts the client certificate and refuses a client without one', async () => {
    const {files, port} = await setup(['secure.example.com'], true)
    const target = [`--resolve`, `secure.example.com:${port}:127.0.0.1`, `https://secure.example.com:${port}/`]
    const withCert = await curl(['--cacert', files.ca, '--cert', files.cert, '--key', files.key, ...target])
    assert.equal(withCert.code, 0, withCert.stderr)
    assert.equal(withCert.body, 'hello alice\n')
    const without = await curl(['--cacert', files.ca, ...target])
    assert.notEqual(without.code, 0, 'no client certificate, no connection')
    assert.equal(without.body, '')
  })

  it('signs with an openssl-made intermediate CA (PKCS#1 key) and serves the chain, so clients trusting only the root connect', async () => {
    const cwd = await mkdtemp(path.join(tempDir(), 'pki-'))
    await writeFile(path.join(cwd, 'ca.ext'), 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n')
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'root.key', '-out', 'root.crt', '-days', '30', '-subj', '/CN=Example Root/O=Example Organization'], cwd)
    await openssl(['genrsa', '-traditional', '-out', 'inter.key', '2048'], cwd)
    await openssl(['req', '-new', '-key', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=Example Intermediate/O=Example Organization'], cwd)
    await openssl(['x509', '-req', '-in', 'inter.csr', '-CA', 'root.crt', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'inter.crt', '-days', '20', '-extfile', 'ca.ext'], cwd)
    const pair = {certificate: await readFile(path.join(cwd, 'inter.crt'), 'utf8'), privateKey: await readFile(path.join(cwd, 'inter.key'), 'utf8')}
    assert.match(pair.privateKey, /BEGIN RSA PRIVATE KEY/)
    const ca = await loadCertificateAuthority(pair, {certificate: 'inter.crt', privateKey: 'inter.key', label: 'files'}, new Date())
    const bundle = await issueCredential({hosts: ['chain.example.com'], keyType: 'ecdsa-p256', days: 10, clients: [], ca, now: new Date()})
    assert.equal(bundle.server.certificate.match(/BEGIN CERTIFICATE/g)?.length, 2, 'leaf + intermediate')
    const {server, port} = await listen(bundle, false)
    servers.push(server)
    const ok = await curl(['--cacert', path.join(cwd, 'root.crt'), '--resolve', `chain.example.com:${port}:127.0.0.1`, `https://chain.example.com:${port}/`])
    assert.equal(ok.code, 0, ok.stderr)
  })
})
