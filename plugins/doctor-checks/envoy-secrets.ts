import {X509Certificate} from 'node:crypto'
import type {DoctorCheck} from '../../src/doctor/check.ts'
import {alsoOn, configured, podResource, proxyGateways, proxyName} from '../../src/doctor/proxies.ts'
import {finding, type Finding} from '../../src/findings/catalog.ts'
import {cacertSecretName} from '../../src/istio/credentials.ts'

function notAfter(pem: string | undefined): Date | undefined {
  if (!pem) return undefined
  try {
    return new Date(new X509Certificate(pem).validTo)
  } catch {
    return undefined
  }
}

export const envoySecrets: DoctorCheck = {
  id: 'envoy-secrets',
  layer: 'live',
  description: "Every credential the pod's Gateways name is an active (not warming) SDS secret in Envoy, with a certificate that has not expired.",
  inputs: ['GatewayProxy', 'Gateway'],
  run(snapshot) {
    const gateways = snapshot.items('Gateway')
    return configured(snapshot.items('GatewayProxy')).flatMap((proxy) => {
      const found: Finding[] = []
      const seen = new Set<string>()
      for (const gateway of proxyGateways(proxy, gateways)) {
        for (const server of gateway.spec?.servers ?? []) {
          const mode = server.tls?.mode
          if (mode !== 'SIMPLE' && mode !== 'MUTUAL') continue
          for (const credential of [server.tls?.credentialName, ...(server.tls?.credentialNames ?? [])].filter((c): c is string => Boolean(c))) {
            const name = credential.replace(/^kubernetes:\/\//, '')
            const wanted = [`kubernetes://${name}`, ...(mode === 'MUTUAL' ? [`kubernetes://${cacertSecretName(name)}`] : [])]
            for (const sds of wanted) {
              if (seen.has(sds)) continue
              seen.add(sds)
              const secrets = proxy.config.secrets.filter((s) => s.name === sds)
              const active = secrets.find((s) => s.state === 'active' || s.state === 'static')
              if (!active) {
                const warming = secrets.some((s) => s.state === 'warming')
                found.push(
                  finding('EnvoySecretMissing', podResource(proxy), `SDS secret ${sds} for Gateway ${gateway.metadata.namespace}/${gateway.metadata.name} port ${server.port?.number} is ${warming ? 'warming (istiod could not load the credential)' : 'not in Envoy'}: TLS handshakes on it fail${alsoOn(proxy.pods)}`, {
                    hint: `istioctl proxy-config secret ${proxyName(proxy)}`,
                  }),
                )
                continue
              }
              const expires = notAfter(active.certificatePem)
              if (expires && expires <= snapshot.now) {
                found.push(finding('CertificateExpired', podResource(proxy), `Envoy serves ${sds} with a certificate that expired ${expires.toISOString()}`, {hint: `kubectl gw certs rotate ${name} -n ${proxy.pod.namespace}`}))
              }
            }
          }
        }
      }
      return found
    })
  },
}
