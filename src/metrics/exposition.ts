/** One sample of the Prometheus text exposition format: `name{label="v",...} value [timestamp]`. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export type LabelFilter = Record<string, string | ((value: string | undefined) => boolean)>

function parseValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY
    case '-Inf':
      return Number.NEGATIVE_INFINITY
    case 'NaN':
      return Number.NaN
    default:
      return Number(text)
  }
}

/** Reads `{a="x",b="y\"z"}` starting at `start` (the `{`); returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): {labels: Record<string, string>; end: number} {
  const labels: Record<string, string> = {}
  let i = start + 1
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === ',') i++
    if (line[i] === '}') return {labels, end: i + 1}
    const eq = line.indexOf('=', i)
    if (eq < 0) break
    const key = line.slice(i, eq).trim()
    if (line[eq + 1] !== '"') break
    let value = ''
    let j = eq + 2
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === '\\' && j + 1 < line.length) {
        const next = line[++j]
        value += next === 'n' ? '\n' : next
      } else value += line[j]
    }
    labels[key] = value
    i = j + 1
  }
  throw new Error(`unterminated label set: ${line.slice(0, 120)}`)
}

/**
 * Parses Prometheus text exposition (what Envoy's /stats/prometheus and any /metrics serve).
 * Comment and blank lines are skipped; a line that cannot be read throws, naming its number.
 */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = []
  let lineNumber = 0
  for (const raw of text.split('\n')) {
    lineNumber++
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    try {
      const brace = line.indexOf('{')
      const space = line.indexOf(' ')
      let name: string
      let labels: Record<string, string> = {}
      let rest: string
      if (brace >= 0 && (space < 0 || brace < space)) {
        name = line.slice(0, brace)
        const parsed = parseLabels(line, brace)
        labels = parsed.labels
        rest = line.slice(parsed.end).trim()
      } else {
        if (space < 0) throw new Error('no value')
        name = line.slice(0, space)
        rest = line.slice(space + 1).trim()
      }
      const valueText = rest.split(/\s+/)[0] ?? ''
      const value = parseValue(valueText)
      if (valueText === '' || (Number.isNaN(value) && valueText !== 'NaN')) throw new Error(`bad value "${valueText}"`)
      samples.push({name, labels, value})
    } catch (error) {
      throw new Error(`metrics line ${lineNumber}: ${(error as Error).message}`)
    }
  }
  return samples
}

export function matchesLabels(labels: Record<string, string>, filter: LabelFilter): boolean {
  for (const [key, want] of Object.entries(filter)) {
    const have = labels[key]
    if (typeof want === 'function' ? !want(have) : have !== want) return false
  }
  return true
}

/** Sum of every sample named `name` whose labels match `filter` (0 when none match). */
export function sumSamples(samples: readonly Sample[], name: string, filter: LabelFilter = {}): number {
  let total = 0
  for (const sample of samples) if (sample.name === name && matchesLabels(sample.labels, filter)) total += sample.value
  return total
}

/** Per series, what a counter added between two reads; a counter that went down was reset, so the later value stands. */
export function counterDeltas(after: Sample[], before: Sample[]): Sample[] {
  const key = (s: Sample) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`
  const previous = new Map(before.map((s) => [key(s), s.value]))
  return after.map((s) => {
    const was = previous.get(key(s)) ?? 0
    return {...s, value: s.value >= was ? s.value - was : s.value}
  })
}
