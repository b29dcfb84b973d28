// The @kubernetes-models/istio modules (generated from Istio's CRDs), found by version and kind. One
// place on purpose: the single executable has no node_modules, so its build (scripts/sea.ts) swaps
// this module for one that bundles the models and carries their declarations as SEA assets.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

const modelPath = (version: string, kind: string) => `@kubernetes-models/istio/networking.istio.io/${version}/${kind}`

/** The model module of networking.istio.io VERSION KIND (its class validates against the CRD schema). */
export function importIstioModel(version: string, kind: string): Promise<Record<string, unknown>> {
  return import(modelPath(version, kind))
}

/** The TypeScript declarations of that model, whose interfaces name every field the CRD knows. */
export function istioModelDeclarations(version: string, kind: string): string {
  return readFileSync(fileURLToPath(import.meta.resolve(modelPath(version, kind))).replace(/\.js$/, '.d.ts'), 'utf8')
}
