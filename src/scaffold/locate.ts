import type {SpecPath} from './spec.ts'

/** Says where a spec path came from: "spec.yaml:12" or "--route /api=api:8080". */
export type Locator = (path: SpecPath) => string

export function pathText(path: SpecPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')
}

/** Flag origins of a spec built from flags: the longest matching path prefix names the flag. */
export function flagLocator(origins: {path: SpecPath; flag: string}[], fallback: string): Locator {
  return (path) => {
    let best: {path: SpecPath; flag: string} | undefined
    for (const origin of origins) {
      const matches = origin.path.length <= path.length && origin.path.every((p, i) => p === path[i])
      if (matches && (!best || origin.path.length > best.path.length)) best = origin
    }
    return best?.flag ?? fallback
  }
}
