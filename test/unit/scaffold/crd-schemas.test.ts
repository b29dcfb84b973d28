import {test} from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {Ajv} from 'ajv'
import {parseAllDocuments} from 'yaml'
import type {KubeObject} from '../../../src/kube/objects.ts'
import {clientDryRunFacts} from '../../../src/scaffold/facts.ts'
import {flagsToSpec} from '../../../src/scaffold/flags-to-spec.ts'
import {flagLocator} from '../../../src/scaffold/locate.ts'
import {planScaffold} from '../../../src/scaffold/scaffold.ts'
import {fixtureFiles, planFixture} from '../../helpers/scaffold-fixtures.ts'
import {sharedDir} from '../../helpers/paths.ts'

type Schema = Record<string, unknown>

/**
 * The API server prunes fields a structural schema does not declare (Istio's retriableStatusCodes
 * would silently vanish). Emulate that as an error: objects with declared properties allow no others.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict)
  if (!schema || typeof schema !== 'object') return schema
  const copy: Schema = Object.fromEntries(Object.entries(schema as Schema).map(([k, v]) => [k, strict(v)]))
  if (copy.properties && copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) copy.additionalProperties = false
  return copy
}

const crdSchemas = new Map<string, Schema>()
for (const doc of parseAllDocuments(readFileSync(path.join(sharedDir, 'reference', 'istio', 'crd-all.gen.yaml'), 'utf8'))) {
  const crd = doc.toJS() as {kind?: string; spec?: {group: string; names: {kind: string}; versions: {name: string; schema: {openAPIV3Schema: Schema}}[]}} | null
  if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue
  for (const version of crd.spec.versions) crdSchemas.set(`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`, version.schema.openAPIV3Schema)
}

const ajv = new Ajv({strict: false, allErrors: true, validateFormats: false})
const validators = new Map<string, ReturnType<typeof ajv.compile>>()

function crdErrors(object: KubeObject): string[] | undefined {
  const key = `${object.apiVersion}/${object.kind}`
  const schema = crdSchemas.get(key)
  if (!schema) return undefined
  let validate = validators.get(key)
  if (!validate) {
    validate = ajv.compile(strict(schema) as Schema)
    validators.set(key, validate)
  }
  // apiVersion, kind and metadata are implicit in every CRD; the schema describes the rest.
  const {apiVersion: _a, kind: _k, metadata: _m, ...body} = object
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${key} ${object.metadata.name}${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`)
}

function asVersion(object: KubeObject, version: string): KubeObject {
  return object.apiVersion === 'networking.istio.io/v1' ? {...object, apiVersion: `networking.istio.io/${version}`} : object
}

async function flagVariants(): Promise<KubeObject[]> {
  const base = {hosts: ['app.example.com'], routes: ['/api=api:8080', 'exact:/health=health:8080', 'regex:/v[0-9]+/.*=versioned:8080'], selector: []}
  const variants = [
    {...base, service: 'web', tls: 'simple' as const, credential: 'app-cert', httpsRedirect: true, subsets: 'v1,v2', weights: 'v1=90,v2=10', timeout: '30s', retries: 3, perTryTimeout: '10s', retryOn: 'connect-failure,503', lb: 'LEAST_REQUEST', rateLimit: '100/s', hpa: 'min=2,max=10,cpu=70', pdb: 'min-available=1', gatewayWide: true},
    {...base, service: 'web', rateLimit: '50/s'},
    {...base, routes: [], service: 'web:443', tls: 'passthrough' as const},
    {...base, service: 'web', tls: 'mutual' as const, credential: 'app-cert'},
  ]
  const objects: KubeObject[] = []
  for (const flags of variants) {
    const {spec, origins} = flagsToSpec('app', flags)
    objects.push(...(await planScaffold(spec, clientDryRunFacts(), 'default', flagLocator(origins, 'flags'))).objects)
  }
  return objects
}

test('every Istio object scaffold emits for the seeds and flag variants validates against the Istio CRDs (v1 and v1beta1)', async () => {
  const objects: KubeObject[] = []
  for (const file of fixtureFiles()) objects.push(...(await planFixture(file)).objects)
  objects.push(...(await flagVariants()))
  const checked = new Set<string>()
  const errors: string[] = []
  for (const object of objects) {
    for (const version of ['v1', 'v1beta1']) {
      const found = crdErrors(asVersion(object, version))
      if (found === undefined) continue
      checked.add(asVersion(object, version).apiVersion + '/' + object.kind)
      errors.push(...found)
    }
  }
  assert.deepEqual(errors, [])
  for (const kind of ['Gateway', 'VirtualService', 'DestinationRule', 'ServiceEntry']) assert.ok(checked.has(`networking.istio.io/v1/${kind}`), `no ${kind} was checked`)
  assert.ok(checked.has('networking.istio.io/v1alpha3/EnvoyFilter'))
})

test('the CRD check catches a field Istio does not have (the seed\'s retriableStatusCodes)', () => {
  const object = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: {name: 'x'},
    spec: {hosts: ['a.example.com'], http: [{route: [{destination: {host: 'a'}}], retries: {attempts: 3, retriableStatusCodes: [503]}}]},
  }
  assert.match((crdErrors(object) ?? []).join('\n'), /retriableStatusCodes/)
})
