// The CRD model packages (@kubernetes-models/istio, ...), loaded by a computed path, one module per
// kind. One place on purpose: the single executable has no node_modules, so its build
// (scripts/sea.ts) swaps this module for one that bundles every model and carries their
// declarations as SEA assets.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/** A model module, e.g. `@kubernetes-models/istio/networking.istio.io/v1/Gateway` (its class validates against the CRD schema). */
export function importModelModule(specifier: string): Promise<Record<string, unknown>> {
  return import(specifier)
}

/** The TypeScript declarations of that module, whose interfaces name every field the CRD knows. */
export function modelDeclarations(specifier: string): string {
  return readFileSync(fileURLToPath(import.meta.resolve(specifier)).replace(/\.js$/, '.d.ts'), 'utf8')
}
