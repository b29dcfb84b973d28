import {analyzeCredentials, type CredentialSnapshot} from '../../src/certs/inspect.ts'
import type {DoctorCheck} from '../../src/doctor/check.ts'
import {finding, type Finding} from '../../src/findings/catalog.ts'
import {credentialReferences} from '../../src/istio/credentials.ts'
import {gatewayWorkloadFinder} from '../../src/istio/gateway-workload.ts'

/**
 * The credential check `certs inspect` runs (expiry, SANs against the Gateway hosts, key match,
 * MUTUAL CA, wrong namespace), on the secrets Gateways name, plus the secret that is not there.
 */
export const gatewayCredentials: DoctorCheck = {
  id: 'gateway-credentials',
  layer: 'config',
  description: 'Every credentialName exists where Istio reads it (the gateway pods\' namespace), loads, covers the server hosts and is not expired.',
  inputs: ['Gateway', 'Pod', 'Secret'],
  async run(snapshot) {
    const workloadOf = gatewayWorkloadFinder(snapshot.items('Pod'))
    const secrets = snapshot.items('Secret')
    const references = credentialReferences(snapshot.items('Gateway'), (selector) => workloadOf(selector)?.namespace)
    const byKey = new Map(secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]))
    const findings: Finding[] = []
    const analysed = new Set<string>()
    const presentInWorkloadNamespace = new Set<string>()
    for (const reference of references) {
      const {workloadNamespace, credentialName, gateway} = reference
      // No workload: GatewaySelectorNoMatch says so; there is no namespace to look in.
      if (!workloadNamespace) continue
      const where = `${workloadNamespace}/${credentialName}`
      if (byKey.has(where)) {
        presentInWorkloadNamespace.add(where)
        analysed.add(where)
        continue
      }
      const stray = `${gateway.namespace}/${credentialName}`
      if (byKey.has(stray)) {
        analysed.add(stray)
        continue
      }
      findings.push(
        finding('GatewayCredentialNotFound', {kind: 'Gateway', ...gateway}, `port ${reference.port ?? '?'} (${reference.mode ?? 'TLS'}) reads secret "${credentialName}" from namespace ${workloadNamespace}, the gateway pods' namespace, where it does not exist: TLS handshakes fail`, {
          hint: `kubectl gw certs create ${credentialName} -n ${workloadNamespace} ${reference.hosts.filter((h) => !h.includes('*') || h.startsWith('*.')).map((h) => `--host ${h.replace(/^[^/]*\//, '')}`).join(' ')}${reference.mode === 'MUTUAL' ? ' --mutual' : ''}`.trim(),
        }),
      )
    }
    const snapshotForAnalysis: CredentialSnapshot = {
      secrets: [...analysed].map((k) => byKey.get(k)!),
      cacertSecrets: new Map(secrets.filter((s) => s.metadata.name?.endsWith('-cacert')).map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s])),
      references,
      presentInWorkloadNamespace,
      now: snapshot.now,
    }
    const report = await analyzeCredentials(snapshotForAnalysis)
    for (const secret of report.secrets) {
      for (const f of secret.findings) {
        if (f.code === 'CertificateChainUnverified') continue
        findings.push(finding(f.code, {kind: 'Secret', namespace: secret.namespace, name: secret.name}, f.message, {hint: f.hint, level: f.level}))
      }
    }
    return findings
  },
}
