import {HttpKubeClient, type KubeClient} from './client.ts'
import type {KubeconfigSelection} from './kubeconfig.ts'

export interface KubeClientOptions {
  selection: KubeconfigSelection
  /** 0 = none. */
  requestTimeoutMs: number
  /** Bounds on opening a connection and its TLS handshake (default 30 s and 10 s, as kubectl). */
  connectTimeoutMs?: number
  tlsHandshakeTimeoutMs?: number
  debug?: (message: string) => void
}

/**
 * A client whose kubeconfig is read when the first request is made, so `--client` paths never need
 * one; the kubeconfig parser and the HTTPS stack are loaded only then, keeping start-up small.
 */
export function createKubeClient(options: KubeClientOptions): KubeClient {
  return new HttpKubeClient(async () => {
    const [{loadClusterConnection}, {HttpsTransport}] = await Promise.all([import('./kubeconfig.ts'), import('./transport.ts')])
    const connection = await loadClusterConnection(options.selection)
    return new HttpsTransport(connection, {requestTimeoutMs: options.requestTimeoutMs, connectTimeoutMs: options.connectTimeoutMs, tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs, debug: options.debug, env: options.selection.env})
  })
}
