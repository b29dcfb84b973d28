import type {WorkloadFault} from '../fault-annotation.ts'
import {splitPath} from './envoy/router.ts'

/**
 * What a simulated application pod answers: httpbin's endpoints (`/get`, `/headers`, `/status/N`,
 * `/delay/N`, `/ip`, `/anything`), and for any other path httpbin's `/anything` echo, so that every
 * seed service shows the path it received (after the gateway's rewrites), the headers, and which
 * pod and version answered. The workload's `sandbox fault` applies first: latency, then a 500 at
 * the error rate.
 */

export interface BackendRequest {
  method: string
  /** Path with query, as the upstream receives it. */
  path: string
  headers: Record<string, string>
  body: Buffer
}

export interface BackendIdentity {
  pod: string
  namespace: string
  workload: string
  version: string
  /** The Service the gateway's cluster resolved. */
  service: string
}

export interface BackendResponse {
  status: number
  headers: Record<string, string>
  body: string
  /** Time the app took (fault latency, /delay), in ms. */
  delayMs: number
}

const statusText: Record<number, string> = {200: 'OK', 418: "I'm a teapot"}

/** httpbin shows headers Title-Cased (Go's canonical MIME header form). */
function titleCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => `${dash}${c.toUpperCase()}`)
}

function echo(request: BackendRequest, identity: BackendIdentity, extra: Record<string, unknown> = {}): string {
  const {pathOnly, query} = splitPath(request.path)
  const args: Record<string, string | string[]> = {}
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key)
    args[key] = all.length === 1 ? all[0]! : all
  }
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(request.headers)) headers[titleCase(k)] = v
  const host = request.headers.host ?? request.headers[':authority'] ?? ''
  const proto = request.headers['x-forwarded-proto'] ?? 'http'
  const body = {
    args,
    headers,
    origin: request.headers['x-forwarded-for']?.split(',')[0]?.trim() ?? '',
    url: `${proto}://${host}${request.path}`,
    path: pathOnly,
    ...extra,
    served_by: identity,
  }
  return `${JSON.stringify(body, null, 2)}\n`
}

/** The app's answer; `random` decides the fault's error share. */
export function answerAsBackend(request: BackendRequest, identity: BackendIdentity, fault: WorkloadFault, random: () => number): BackendResponse {
  const {pathOnly} = splitPath(request.path)
  const json = {'content-type': 'application/json', 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true', 'x-sandbox-pod': identity.pod, 'x-sandbox-version': identity.version}
  const delayMs = fault.latencyMs
  if (fault.errorRate > 0 && random() < fault.errorRate) {
    return {status: 500, headers: {'content-type': 'text/plain', 'x-sandbox-pod': identity.pod, 'x-sandbox-version': identity.version}, body: 'simulated failure (sandbox fault)\n', delayMs}
  }
  const status = /^\/status\/(\d{3})$/.exec(pathOnly)
  if (status) {
    const code = Number(status[1])
    return {status: code, headers: {...json, 'content-type': 'text/html; charset=utf-8'}, body: code === 418 ? "I'm a teapot!\n" : (statusText[code] ?? ''), delayMs}
  }
  const delay = /^\/delay\/(\d+(?:\.\d+)?)$/.exec(pathOnly)
  if (delay) {
    // httpbin caps /delay at 10 seconds.
    const seconds = Math.min(10, Number(delay[1]))
    return {status: 200, headers: json, body: echo(request, identity), delayMs: delayMs + seconds * 1000}
  }
  if (pathOnly === '/headers') {
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(request.headers)) headers[titleCase(k)] = v
    return {status: 200, headers: json, body: `${JSON.stringify({headers, served_by: identity}, null, 2)}\n`, delayMs}
  }
  if (pathOnly === '/ip') return {status: 200, headers: json, body: `${JSON.stringify({origin: request.headers['x-forwarded-for'] ?? ''}, null, 2)}\n`, delayMs}
  const withBody = request.method === 'GET' || request.method === 'HEAD' ? {} : {method: request.method, data: request.body.toString('utf8')}
  if (pathOnly === '/get' && request.method !== 'GET' && request.method !== 'HEAD') {
    return {status: 405, headers: {...json, 'content-type': 'text/html'}, body: '<!doctype html><title>405 Method Not Allowed</title>\n', delayMs}
  }
  return {status: 200, headers: json, body: echo(request, identity, pathOnly === '/get' ? {} : {method: request.method, ...withBody}), delayMs}
}
