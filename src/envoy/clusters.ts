/** Envoy's `/clusters?format=json` and `/server_info` as models. */
import {UsageError} from '../errors.ts'
import {adminText} from './config-dump.ts'

type Json = Record<string, unknown>
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {})
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

export interface ClusterHealth {
  name: string
  hosts: {address: string; healthy: boolean; flags: string[]}[]
}

/** A host is healthy unless EDS says otherwise or a health flag (outlier, active check, ...) is set. */
export function parseClusters(bytes: Buffer | string, source: string): ClusterHealth[] {
  let document: Json
  try {
    document = obj(JSON.parse(adminText(bytes)))
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${(error as Error).message}`)
  }
  return arr(document.cluster_statuses).map((c) => {
    const cluster = obj(c)
    return {
      name: String(cluster.name ?? ''),
      hosts: arr(cluster.host_statuses).map((h) => {
        const host = obj(h)
        const socket = obj(obj(host.address).socket_address)
        const health = obj(host.health_status)
        const flags = Object.entries(health).filter(([k, v]) => k !== 'eds_health_status' && v === true).map(([k]) => k)
        const eds = String(health.eds_health_status ?? 'HEALTHY')
        return {address: `${socket.address ?? ''}:${socket.port_value ?? ''}`, healthy: (eds === 'HEALTHY' || eds === 'UNKNOWN') && flags.length === 0, flags: eds === 'HEALTHY' ? flags : [eds, ...flags]}
      }),
    }
  })
}

export function parseServerState(bytes: Buffer | string): string | undefined {
  try {
    const state = obj(JSON.parse(bytes.toString())).state
    return typeof state === 'string' ? state : undefined
  } catch {
    return undefined
  }
}
