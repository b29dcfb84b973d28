/** Small pure rules shared by scaffold's validation: host names, wildcards, regexes, weights. */

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Why a host is not a DNS-1123 name with at most a left-most "*." wildcard; undefined when fine. */
export function hostProblem(host: string): string | undefined {
  if (host === '*') return undefined
  const name = host.startsWith('*.') ? host.slice(2) : host
  if (name.includes('*')) return 'a wildcard may only be the whole left-most label, as in "*.example.com"'
  if (name !== name.toLowerCase()) return 'host names are lower case (DNS-1123)'
  if (name.length > 253) return 'a host name is at most 253 characters'
  for (const label of name.split('.')) {
    if (label.length === 0) return 'empty label (two dots, or a leading/trailing dot)'
    if (label.length > 63) return `label "${label}" is longer than 63 characters`
    if (!dnsLabel.test(label)) return `label "${label}" must be lower-case letters, digits and "-", starting and ending with a letter or digit`
  }
  return undefined
}

export function isWildcard(host: string): boolean {
  return host.startsWith('*')
}

