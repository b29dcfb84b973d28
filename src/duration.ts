import {UsageError} from './errors.ts'

const unitMs: Record<string, number> = {ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/**
 * Parses a Go-style duration ("1m30s", "500ms", "2h") into milliseconds, as kubectl's flags do.
 * A bare number takes `bareNumberUnit` (kubectl's --request-timeout reads "5" as seconds).
 */
export function parseDuration(value: string, flag: string, options: {bareNumberUnit?: 's' | 'ms'} = {}): number {
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) {
    if (!options.bareNumberUnit && Number(text) !== 0) {
      throw new UsageError(`invalid duration "${value}" for ${flag}: a unit is required`, {hint: 'write it like 30s, 1m or 500ms'})
    }
    return Number(text) * (options.bareNumberUnit === 'ms' ? 1 : 1000)
  }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
    throw new UsageError(`invalid duration "${value}" for ${flag}`, {hint: 'write it like 30s, 1m30s, 500ms or 2h'})
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * (unitMs[unit as string] ?? 0), 0)
}

/** Formats milliseconds the way Go prints a duration ("1m30s", "500ms"). */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  let seconds = Math.round(ms / 1000)
  const hours = Math.floor(seconds / 3600)
  seconds -= hours * 3600
  const minutes = Math.floor(seconds / 60)
  seconds -= minutes * 60
  return `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds || (!hours && !minutes) ? `${seconds}s` : ''}`
}
