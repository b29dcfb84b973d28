import {test} from 'node:test'
import assert from 'node:assert/strict'
import type {KubeObject} from '../../../src/kube/objects.ts'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fixturesDir, planFixture, seed000Blocks, seed001Scaling, yamlObjects} from '../../helpers/scaffold-fixtures.ts'

/** Compare as objects: the group stays, the version is scaffold's choice (v1 when served). */
function comparable(object: KubeObject, ours?: KubeObject): unknown {
  const copy = structuredClone(object) as KubeObject
  copy.apiVersion = copy.apiVersion.split('/')[0] as string
  // Seed 001's PDB has no namespace (it would land in the reader's namespace and select nothing there);
  // scaffold puts it next to the gateway pods. Compare the rest.
  if (ours && !ours.metadata.namespace) delete copy.metadata.namespace
  return copy
}

/**
 * Istio has no `retriableStatusCodes` field (the API server would prune it): status codes belong
 * in retryOn, which is where scaffold puts the spec's retriableStatusCodes.
 */
function foldRetriableStatusCodes(object: KubeObject): KubeObject {
  const copy = structuredClone(object) as KubeObject & {spec: {http: {retries?: {retryOn?: string; retriableStatusCodes?: number[]}}[]}}
  for (const rule of copy.spec.http) {
    if (rule.retries?.retriableStatusCodes) {
      rule.retries.retryOn = [rule.retries.retryOn, ...rule.retries.retriableStatusCodes].join(',')
      delete rule.retries.retriableStatusCodes
    }
  }
  return copy
}

const seedBlocks = seed000Blocks()
const cases: [fixture: string, seed: () => KubeObject[]][] = [
  ...[
    'gateway-http.yaml',
    'virtualservice-basic.yaml',
    'gateway-tls.yaml',
    'gateway-mtls.yaml',
    'gateway-multi-host.yaml',
    'gateway-wildcard.yaml',
    'virtualservice-path-routing.yaml',
    'virtualservice-advanced-routing.yaml',
    'virtualservice-canary.yaml',
    'envoyfilter-ratelimit.yaml',
    'production-ingress.yaml',
  ].map((file): [string, () => KubeObject[]] => [file, () => seedBlocks.get(file) ?? []]),
  ['virtualservice-resilience.yaml', () => (seedBlocks.get('virtualservice-resilience.yaml') ?? []).map(foldRetriableStatusCodes)],
  ['gateway-scaling.yaml', seed001Scaling],
]

test('every YAML block of seed 000 that configures the gateway has a fixture', () => {
  const covered = new Set(cases.map(([file]) => file))
  const uncovered = [...seedBlocks.keys()].filter((name) => name !== 'httpbin-deployment.yaml' && !covered.has(name))
  assert.deepEqual(uncovered, [])
})

for (const [fixture, seed] of cases) {
  test(`${fixture} produces the seed's objects`, async () => {
    const expected = seed()
    assert.ok(expected.length > 0, `no seed objects found for ${fixture}`)
    const {objects} = await planFixture(fixture)
    assert.deepEqual(
      objects.map((o, i) => comparable(o, expected[i])),
      expected.map((o) => comparable(o, o)),
    )
  })
}

for (const mode of ['http', 'passthrough', 'originate']) {
  test(`egress-${mode}.yaml follows Istio's egress gateway task (seed 002)`, async () => {
    const expected = yamlObjects(readFileSync(path.join(fixturesDir, `egress-${mode}.expected.yaml`), 'utf8'))
    const {objects} = await planFixture(`egress-${mode}.yaml`)
    assert.deepEqual(objects, expected)
  })
}
