/**
 * The finding codes `certs inspect` reports. Codes shared with `doctor` carry the same name
 * and level as DESIGN.md's catalog; CertificateChainUnverified is inspect's own.
 */
export const credentialFindingCatalog = {
  CertificateExpired: {level: 'error', hint: 'renew it: kubectl gw certs rotate SECRET -n NAMESPACE'},
  CertificateExpiringSoon: {level: 'warning', hint: 'renew it before it expires: kubectl gw certs rotate SECRET -n NAMESPACE'},
  CertificateHostMismatch: {level: 'error', hint: 'issue a certificate naming every Gateway host: kubectl gw certs create SECRET --host HOST... --overwrite'},
  CertificateKeyMismatch: {level: 'error', hint: 'tls.key must be the key of tls.crt; re-create the secret from a matching pair'},
  MutualTlsMissingCaCert: {level: 'error', hint: 'add ca.crt to the secret or create SECRET-cacert with a cacert key (kubectl gw certs create --mutual)'},
  GatewayCredentialInvalid: {level: 'error', hint: 'Istio cannot load it; re-create it with kubectl gw certs create or kubectl create secret tls'},
  GatewayCredentialWrongNamespace: {level: 'error', hint: 'Istio reads credentials only from the gateway workload namespace; create the secret there'},
  CertificateChainUnverified: {level: 'info', hint: 'fine when clients are verified by a different CA from the one that signed the server certificate'},
} as const

export type CredentialFindingCode = keyof typeof credentialFindingCatalog
export type FindingLevel = 'error' | 'warning' | 'info'

export interface CredentialFinding {
  code: CredentialFindingCode
  level: FindingLevel
  message: string
  hint: string
}

export function credentialFinding(code: CredentialFindingCode, message: string, options: {level?: FindingLevel; hint?: string} = {}): CredentialFinding {
  const entry = credentialFindingCatalog[code]
  return {code, level: options.level ?? entry.level, message, hint: options.hint ?? entry.hint}
}
