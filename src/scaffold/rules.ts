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

/** Whether some request host would match both patterns (Istio binds a VirtualService host that intersects a Gateway host). */
export function hostsIntersect(a: string, b: string): boolean {
  if (a === '*' || b === '*' || a === b) return true
  const suffixOf = (wild: string, other: string) => wild.startsWith('*.') && other.endsWith(wild.slice(1))
  return suffixOf(a, b) || suffixOf(b, a)
}

/**
 * Why Envoy (RE2) would reject a regex that JavaScript might accept: lookarounds, backreferences,
 * atomic groups and possessive quantifiers; plus anything that does not compile at all.
 */
export function re2Problem(pattern: string): string | undefined {
  const unescaped = pattern.replace(/\\\\/g, '')
  if (/\(\?<?[=!]/.test(unescaped)) return 'lookaround assertions ((?=, (?!, (?<=, (?<!) are not supported by RE2, the regex engine Envoy uses'
  if (/\\[1-9]|\\k</.test(unescaped)) return 'backreferences (\\1, \\k<name>) are not supported by RE2, the regex engine Envoy uses'
  if (/\(\?>/.test(unescaped)) return 'atomic groups (?>...) are not supported by RE2'
  if (/(?:[*+?}])\+/.test(unescaped)) return 'possessive quantifiers (*+, ++, ?+) are not supported by RE2'
  try {
    new RegExp(pattern)
  } catch (error) {
    return `does not compile: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`
  }
  return undefined
}

/** Problems with the weights of one route's destinations (each already an integer 0..100): they are percentages, summing to 100. */
export function weightProblem(weights: (number | undefined)[], mustSumTo100: boolean): string | undefined {
  if (weights.length < 2) {
    const only = weights[0]
    if (only === 0) return 'the only destination has weight 0: no traffic would be sent'
    return undefined
  }
  if (weights.some((w) => w === undefined)) return 'several destinations need a weight each'
  const sum = (weights as number[]).reduce((a, b) => a + b, 0)
  if (sum === 0) return 'all weights are 0: no traffic would be sent'
  if (mustSumTo100 && sum !== 100) return `weights sum to ${sum}; this cluster's Istio (< 1.15) requires them to sum to 100`
  // Later Istio would normalise them silently: 80/30 is more likely a typo than a wish for 73/27.
  if (sum !== 100) return `weights sum to ${sum}; they must sum to 100 so that each one is the percentage of traffic it gets`
  return undefined
}
