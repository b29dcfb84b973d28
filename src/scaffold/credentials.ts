import type {GwContext} from '../context.ts'
import type {KubeObject} from '../kube/objects.ts'
import {credentialNamespace as istioCredentialNamespace} from '../istio/credentials.ts'
import type {ClusterFacts} from './facts.ts'
import {gatewayServers} from './shorthand.ts'
import type {ScaffoldSpec, SpecPath} from './spec.ts'

/** A credential secret `generateCert` stands for: issued unless it already exists where Istio reads it. */
export interface WantedCredential {
  name: string
  namespace: string
  /** SANs: every host of the servers using it (`ns/host` written as host). */
  hosts: string[]
  mutual: boolean
  /** Where it was asked for, for messages. */
  path: SpecPath
}

/** What scaffold did about each wanted credential; part of `-o json` (`credentials`). */
export interface CredentialOutcome {
  namespace: string
  name: string
  /** generated: new CA, server (and client) certificate planned as secrets; reused: the secret exists and was left alone. */
  action: 'generated' | 'reused'
  hosts: string[]
  mutual: boolean
}

/** The credential name `generateCert` uses when none is given. */
export const defaultCredentialName = (name: string) => `${name}-credential`

/** The spec with `<name>-credential` filled in where generateCert asks for a credential and none is named. */
export function withDefaultCredential(spec: ScaffoldSpec): ScaffoldSpec {
  const gateway = spec.gateway
  if (!gateway?.generateCert || gateway.servers || gateway.credential || (gateway.tls !== 'simple' && gateway.tls !== 'mutual')) return spec
  return {...spec, gateway: {...gateway, credential: defaultCredentialName(spec.name)}}
}

/**
 * Where a credential secret must live: the gateway workload's namespace (the only one Istio reads
 * credentials from); with the Gateway API, the Gateway's own, where Istio deploys its gateway pods.
 */
export function credentialNamespace(spec: ScaffoldSpec, facts: ClusterFacts, namespace: string): string {
  const api = spec.api === 'gateway-api' ? 'gateway-api' : 'istio'
  // In a client dry run the workload namespace is the documented default, so there is always one.
  return istioCredentialNamespace({api, namespace: spec.gateway?.namespace ?? namespace}, facts.ingress.namespace) ?? facts.ingress.namespace
}

/** Every SIMPLE/MUTUAL credential of a generateCert Gateway, with the hosts of the servers that use it. Pure. */
export function wantedCredentials(spec: ScaffoldSpec, facts: ClusterFacts, namespace: string): WantedCredential[] {
  const gateway = spec.gateway
  if (!gateway?.generateCert || gateway.existing) return []
  const byName = new Map<string, WantedCredential>()
  gatewayServers(gateway).forEach((server, i) => {
    const mode = server.tls?.mode
    const name = server.tls?.credential
    if (!name || (mode !== 'SIMPLE' && mode !== 'MUTUAL')) return
    const wanted = byName.get(name) ?? {name, namespace: credentialNamespace(spec, facts, namespace), hosts: [], mutual: false, path: gateway.servers ? ['gateway', 'servers', i, 'tls', 'credential'] : ['gateway', 'generateCert']}
    for (const host of server.hosts.map((h) => h.replace(/^[^/]*\//, ''))) if (!wanted.hosts.includes(host)) wanted.hosts.push(host)
    wanted.mutual ||= mode === 'MUTUAL'
    byName.set(name, wanted)
  })
  return [...byName.values()]
}

/**
 * Issues what `wantedCredentials` asks for through the certs core, as `certs create` would (a new
 * CA kept in NAME-ca for `certs rotate`, ca.crt and one client certificate for MUTUAL), except for
 * secrets that already exist where Istio reads them: those are reused, never regenerated.
 */
export async function generateCredentials(ctx: GwContext, wanted: WantedCredential[], facts: ClusterFacts): Promise<{objects: KubeObject[]; outcomes: CredentialOutcome[]}> {
  const objects: KubeObject[] = []
  const outcomes: CredentialOutcome[] = []
  for (const credential of wanted) {
    const exists = facts.secrets.some((s) => s.name === credential.name && s.namespace === credential.namespace)
    outcomes.push({namespace: credential.namespace, name: credential.name, action: exists ? 'reused' : 'generated', hosts: credential.hosts, mutual: credential.mutual})
    if (exists) continue
    const {issueCredential, defaultDays, defaultKeyType} = await import('../certs/issue.ts')
    const {credentialSecrets} = await import('../certs/secrets.ts')
    const {defaultClientName} = await import('../certs/secrets.ts')
    const clients = credential.mutual ? [defaultClientName] : []
    const bundle = await issueCredential({hosts: credential.hosts, keyType: defaultKeyType, days: defaultDays, clients, caName: `${credential.name} CA`, now: ctx.clock.now()})
    objects.push(...credentialSecrets(credential.name, credential.namespace, bundle, {mutual: credential.mutual, caStorage: {kind: 'store'}}))
  }
  return {objects, outcomes}
}
