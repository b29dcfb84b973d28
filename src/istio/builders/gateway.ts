import type {KubeObject} from '../../kube/objects.ts'
import {kubeObject, type ObjectIdentity} from './meta.ts'

export type ServerProtocol = 'HTTP' | 'HTTPS' | 'TLS' | 'HTTP2' | 'GRPC' | 'TCP'
export type GatewayTlsMode = 'SIMPLE' | 'MUTUAL' | 'PASSTHROUGH' | 'ISTIO_MUTUAL' | 'AUTO_PASSTHROUGH' | 'OPTIONAL_MUTUAL'

export interface GatewayServer {
  port: {number: number; name: string; protocol: ServerProtocol}
  hosts: string[]
  tls?: {mode?: GatewayTlsMode; credentialName?: string; httpsRedirect?: boolean}
}

export interface GatewayProps extends ObjectIdentity {
  apiVersion: string
  selector: Record<string, string>
  servers: GatewayServer[]
}

/** An Istio Gateway: which gateway pods listen on which ports for which hosts. */
export function buildGateway(props: GatewayProps): KubeObject {
  return kubeObject(props.apiVersion, 'Gateway', props, {
    spec: {
      selector: props.selector,
      servers: props.servers.map((s) => ({port: {number: s.port.number, name: s.port.name, protocol: s.port.protocol}, hosts: s.hosts, tls: s.tls})),
    },
  })
}
