import type {KubeObject} from '../../kube/objects.ts'
import {kubeObject, type ObjectIdentity} from './meta.ts'

export interface ServiceEntryProps extends ObjectIdentity {
  apiVersion: string
  hosts: string[]
  ports: {number: number; name: string; protocol: 'HTTP' | 'HTTPS' | 'TLS' | 'TCP'}[]
  resolution: 'DNS' | 'STATIC' | 'NONE'
}

/** An Istio ServiceEntry: puts an external host into the mesh's registry (MESH_EXTERNAL). */
export function buildServiceEntry(props: ServiceEntryProps): KubeObject {
  return kubeObject(props.apiVersion, 'ServiceEntry', props, {
    spec: {hosts: props.hosts, ports: props.ports, resolution: props.resolution, location: 'MESH_EXTERNAL'},
  })
}
