import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {gwBin, requireBuiltCli, skipUnlessInstalled} from '../helpers/paths.ts'

interface Run {
  code: number
  stdout: string
  stderr: string
}

const kubectlBin = '/usr/bin/kubectl'
const skip = skipUnlessInstalled(kubectlBin, 'kubectl')

function exec(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, {env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
      resolve({code: error ? Number((error as {code?: number}).code ?? 1) : 0, stdout, stderr})
    })
  })
}

/**
 * scaffold --generate-cert as a user runs it: the built executable against a sandbox started with
 * `sandbox up --detach`; the secret checked with real openssl, and the gateway's Envoy serving it.
 */
describe('scaffold --generate-cert against the sandbox', {skip}, () => {
  // Not useTempDir: the sandbox must be stopped before its state dir (with its pid file) goes.
  let dir = ''
  const env = () => ({...process.env, KUBECTL_GW_SANDBOX_DIR: path.join(dir, 'sandbox'), KUBECONFIG: '', NO_COLOR: '1', CI: 'true'})
  const kubeconfig = () => path.join(dir, 'sandbox', 'kubeconfig')
  const gw = (args: string[]) => exec(gwBin, args, env())
  const kubectl = async (args: string[]) => {
    const result = await exec(kubectlBin, ['--kubeconfig', kubeconfig(), ...args], {PATH: process.env.PATH, HOME: dir})
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`)
    return result.stdout
  }
  const scaffold = ['scaffold', 'web', '--host', 'web.example.com', '--host', '*.apps.example.com', '--service', 'web-frontend', '--tls', 'simple', '--generate-cert', '--kubeconfig']

  before(async () => {
    requireBuiltCli()
    dir = await mkdtemp(path.join(tmpdir(), 'gw-scaffold-cert-'))
    const up = await gw(['sandbox', 'up', '--detach'])
    assert.equal(up.code, 0, `sandbox up: ${up.stderr}`)
  })

  after(async () => {
    const down = await gw(['sandbox', 'down'])
    await rm(dir, {recursive: true, force: true})
    assert.equal(down.code, 0, `sandbox down: ${down.stderr}`)
  })

  it('creates the credential in istio-system; openssl verifies it against its CA for the hosts; a second run is unchanged', async () => {
    const first = await gw([...scaffold, kubeconfig()])
    assert.equal(first.code, 0, first.stderr)
    assert.equal(
      first.stdout,
      'secret/web-credential-ca created\nsecret/web-credential created\ngateway.networking.istio.io/web-gateway created\nvirtualservice.networking.istio.io/web created\n',
    )
    const secret = (name: string) => kubectl(['get', 'secret', name, '-n', 'istio-system', '-o', 'json']).then((text) => JSON.parse(text) as {type: string; data: Record<string, string>})
    const server = await secret('web-credential')
    const ca = await secret('web-credential-ca')
    assert.equal(server.type, 'kubernetes.io/tls')
    const files = {server: path.join(dir, 'tls.crt'), ca: path.join(dir, 'ca.crt')}
    await writeFile(files.server, Buffer.from(server.data['tls.crt'] ?? '', 'base64'))
    await writeFile(files.ca, Buffer.from(ca.data['tls.crt'] ?? '', 'base64'))
    for (const host of ['web.example.com', 'shop.apps.example.com']) {
      const verify = await exec('openssl', ['verify', '-CAfile', files.ca, '-purpose', 'sslserver', '-verify_hostname', host, files.server], process.env)
      assert.equal(verify.code, 0, `openssl verify for ${host}: ${verify.stdout}${verify.stderr}`)
      assert.match(verify.stdout, /: OK$/m)
    }
    const other = await exec('openssl', ['verify', '-CAfile', files.ca, '-verify_hostname', 'web.other.com', files.server], process.env)
    assert.notEqual(other.code, 0, 'a host outside the SANs fails verification')
    const elsewhere = await exec(kubectlBin, ['--kubeconfig', kubeconfig(), 'get', 'secret', 'web-credential', '-n', 'default'], {PATH: process.env.PATH, HOME: dir})
    assert.notEqual(elsewhere.code, 0, 'nothing next to the Gateway in default')

    const second = await gw([...scaffold, kubeconfig()])
    assert.equal(second.code, 0, second.stderr)
    assert.equal(second.stdout, 'gateway.networking.istio.io/web-gateway unchanged\nvirtualservice.networking.istio.io/web unchanged\n')
    assert.match(second.stderr, /Note: secret istio-system\/web-credential exists: reused, not regenerated/)
    assert.equal((await secret('web-credential')).data['tls.crt'], server.data['tls.crt'], 'not regenerated')
  })

  it("the gateway's Envoy has the SDS secret kubernetes://web-credential active", async () => {
    const pods = JSON.parse(await kubectl(['get', 'pods', '-n', 'istio-system', '-l', 'istio=ingressgateway', '-o', 'json'])) as {items: {metadata: {name: string}}[]}
    const pod = pods.items.map((p) => p.metadata.name).sort()[0]
    assert.ok(pod, 'an ingress gateway pod')
    const dump = JSON.parse(await kubectl(['get', '--raw', `/api/v1/namespaces/istio-system/pods/${pod}:15000/proxy/config_dump`])) as {configs: {'@type': string; dynamic_active_secrets?: {name: string}[]}[]}
    const secrets = dump.configs.find((c) => c['@type'].endsWith('.SecretsConfigDump'))
    const active = (secrets?.dynamic_active_secrets ?? []).map((s) => s.name)
    assert.ok(active.includes('kubernetes://web-credential'), `active secrets: ${active.join(', ')}`)
  })
})
