import {HttpKubeClient, type KubeClient} from './client.ts'
import {loadClusterConnection, type KubeconfigSelection} from './kubeconfig.ts'
import {HttpsTransport} from './transport.ts'

export interface KubeClientOptions {
  selection: KubeconfigSelection
  /** 0 = none. */
  requestTimeoutMs: number
  debug?: (message: string) => void
}

/** A client whose kubeconfig is read when the first request is made, so `--client` paths never need one. */
export function createKubeClient(options: KubeClientOptions): KubeClient {
  return new HttpKubeClient(async () => {
    const connection = loadClusterConnection(options.selection)
    return new HttpsTransport(connection, {requestTimeoutMs: options.requestTimeoutMs, debug: options.debug, env: options.selection.env})
  })
}
