import type {X509Certificate} from 'node:crypto'
import {isIP} from 'node:net'
import {UsageError} from '../errors.ts'

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Why a certificate host is not acceptable, or undefined when it is (DNS-1123 name, `*.` wildcard, or IP). */
export function hostProblem(host: string): string | undefined {
  if (isIP(host)) return undefined
  if (host === '' || host.length > 253) return 'a host name must be 1 to 253 characters'
  if (host !== host.toLowerCase()) return 'host names must be lower case (DNS-1123)'
  const labels = host.split('.')
  const [first, ...rest] = labels
  if (first === '*') {
    if (rest.length < 2) return 'a wildcard must cover a subdomain of a registered name, like *.example.com'
  } else if (host.includes('*')) {
    return 'a wildcard is allowed only as the whole left-most label, like *.example.com'
  }
  const checked = first === '*' ? rest : labels
  for (const label of checked) {
    if (label.length > 63) return `label "${label.slice(0, 20)}..." is longer than 63 characters`
    if (!dnsLabel.test(label)) return `"${label}" is not a DNS-1123 label (lower-case letters, digits and '-', not starting or ending with '-')`
  }
  return undefined
}

/** Checks every --host value, naming the first bad one; duplicates are dropped, order kept. */
export function validateHosts(hosts: string[], flag = '--host'): string[] {
  if (hosts.length === 0) throw new UsageError(`at least one ${flag} is required`, {hint: `pass ${flag} httpbin.example.com`})
  const unique: string[] = []
  for (const host of hosts) {
    const problem = hostProblem(host)
    if (problem) throw new UsageError(`invalid ${flag} "${host}": ${problem}`)
    if (!unique.includes(host)) unique.push(host)
  }
  return unique
}


/** The DNS and IP SANs of a certificate, in order, as hosts (what --host took when it was issued). */
export function certificateHosts(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(', ')
    .filter((entry) => entry.startsWith('DNS:') || entry.startsWith('IP Address:'))
    .map((entry) => entry.slice(entry.indexOf(':') + 1))
}
