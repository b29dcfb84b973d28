/** Rules Envoy and istiod apply to routes: RE2 regexes, destination weights. */

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

/**
 * Whether a route's destination gets traffic, as istiod writes the route (pilot's translateRoute:
 * "Ignore 0 weighted clusters if there are other clusters in the route"): of several destinations,
 * those with weight 0 (or none) are left out of Envoy's weighted clusters (a canary at 0, a stable
 * after the promotion); a lone destination gets everything whatever its weight.
 */
export function destinationCarriesTraffic(weight: number | undefined, destinations: number): boolean {
  return destinations < 2 || (weight ?? 0) > 0
}
