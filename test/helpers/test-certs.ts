import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface TestCert {
  cert: string
  key: string
}

/** A throwaway self-signed certificate (openssl), for credential secrets in tests. */
export function selfSignedCert(commonName: string, days = 30): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-cert-'))
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', String(days), '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=DNS:${commonName}`], {stdio: 'ignore'})
    return {cert: fs.readFileSync(path.join(dir, 'c.pem'), 'utf8'), key: fs.readFileSync(path.join(dir, 'k.pem'), 'utf8')}
  } finally {
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

/** A kubernetes.io/tls Secret (optionally with ca.crt, as `kubectl create secret generic --from-file` would). */
export function tlsSecret(name: string, namespace: string, cert: TestCert, ca?: string): Record<string, unknown> {
  const data: Record<string, string> = {'tls.crt': Buffer.from(cert.cert).toString('base64'), 'tls.key': Buffer.from(cert.key).toString('base64')}
  if (ca) data['ca.crt'] = Buffer.from(ca).toString('base64')
  return {apiVersion: 'v1', kind: 'Secret', metadata: {name, namespace}, type: ca ? 'Opaque' : 'kubernetes.io/tls', data}
}
