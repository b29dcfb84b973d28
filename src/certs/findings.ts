import {findingCatalog, type FindingLevel} from '../findings/catalog.ts'

/** The codes `certs inspect` reports, all from the one catalog (src/findings/catalog.ts). */
export type CredentialFindingCode =
  | 'CertificateExpired'
  | 'CertificateExpiringSoon'
  | 'CertificateHostMismatch'
  | 'CertificateKeyMismatch'
  | 'MutualTlsMissingCaCert'
  | 'GatewayCredentialInvalid'
  | 'GatewayCredentialWrongNamespace'
  | 'CertificateChainUnverified'
export type {FindingLevel}

/** A finding about one secret (the secret is the resource, so it is not repeated). */
export interface CredentialFinding {
  code: CredentialFindingCode
  level: FindingLevel
  message: string
  hint: string
}

export function credentialFinding(code: CredentialFindingCode, message: string, options: {level?: FindingLevel; hint?: string} = {}): CredentialFinding {
  const entry = findingCatalog[code]
  return {code, level: options.level ?? entry.level, message, hint: options.hint ?? entry.hint}
}
