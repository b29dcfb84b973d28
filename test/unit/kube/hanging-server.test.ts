import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, it} from 'node:test'
import {createKubeClient} from '../../../src/kube/connect.ts'
import {ClusterError, ExitCode} from '../../../src/errors.ts'
import {writeTestKubeconfig} from '../../helpers/kubeconfig.ts'

describe('an API server that accepts the connection and never answers', () => {
  let server: net.Server
  const sockets = new Set<net.Socket>()
  let port = 0
  before(async () => {
    server = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    port = (server.address() as net.AddressInfo).port
  })
  after(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('gives up after the TLS handshake timeout even with --request-timeout 0: exit 3, one clear line', {timeout: 10_000}, async () => {
    const kubeconfig = writeTestKubeconfig({server: `https://127.0.0.1:${port}`, token: 't', insecure: true})
    const kube = createKubeClient({selection: {kubeconfig, env: {}}, requestTimeoutMs: 0, tlsHandshakeTimeoutMs: 300})
    try {
      const started = Date.now()
      await assert.rejects(kube.discovery(), (error: unknown) => {
        assert.ok(error instanceof ClusterError, String(error))
        assert.equal(error.exitCode, ExitCode.cluster)
        assert.match(error.message, new RegExp(`TLS handshake with 127\\.0\\.0\\.1:${port} did not complete within 0\\.3s`))
        return true
      })
      assert.ok(Date.now() - started < 5000)
    } finally {
      kube.close()
    }
  })
})
