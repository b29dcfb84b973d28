import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {configDump, seedMesh, section} from '../../helpers/mesh-probe.ts'
import {repoRoot} from '../../helpers/paths.ts'

/**
 * Golden config_dumps for seed 000 examples: listeners, route configs and the clusters the routes
 * use. GW_UPDATE_GOLDEN=1 rewrites the files; otherwise any drift fails.
 */

const goldenDir = path.join(repoRoot, 'test', 'golden', 'sandbox')
const update = process.env.GW_UPDATE_GOLDEN === '1'

const cases: {name: string; objects: [string, string][]; tweak?: (o: any) => void}[] = [
  {name: 'seed000-basic-http', objects: [['Gateway', 'httpbin-gateway'], ['VirtualService', 'httpbin-vs']]},
  {name: 'seed000-multi-host', objects: [['Gateway', 'multi-host-gateway'], ['VirtualService', 'api-vs'], ['VirtualService', 'web-vs'], ['VirtualService', 'admin-vs']]},
  {name: 'seed000-wildcard', objects: [['Gateway', 'wildcard-gateway'], ['VirtualService', 'wildcard-routing']]},
  {name: 'seed000-canary-and-resilience', objects: [['Gateway', 'httpbin-gateway'], ['VirtualService', 'canary-deployment'], ['DestinationRule', 'app-service-dr'], ['VirtualService', 'resilient-routing'], ['VirtualService', 'path-based-routing']]},
]

async function goldenDump(objects: [string, string][]): Promise<unknown> {
  const {mesh, pod} = seedMesh(objects)
  const dump = await configDump(mesh, 'istio-system', pod, '?include_eds')
  const routes = section(dump, 'RoutesConfigDump')
  const used = new Set<string>()
  JSON.stringify(routes, (key, value) => {
    if ((key === 'cluster' || key === 'name') && typeof value === 'string' && value.startsWith('outbound|')) used.add(value)
    return value
  })
  const clusters = section(dump, 'ClustersConfigDump').dynamic_active_clusters.filter((c: any) => used.has(c.cluster.name))
  const endpoints = section(dump, 'EndpointsConfigDump').dynamic_endpoint_configs.filter((e: any) => used.has(e.endpoint_config.cluster_name))
  return {listeners: section(dump, 'ListenersConfigDump'), routes, clusters, endpoints}
}

describe('sandbox config_dump golden files (seed 000)', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const actual = `${JSON.stringify(await goldenDump(c.objects), null, 2)}\n`
      const file = path.join(goldenDir, `${c.name}.json`)
      if (update || !fs.existsSync(file)) {
        assert.ok(update, `golden file ${path.relative(repoRoot, file)} is missing; run with GW_UPDATE_GOLDEN=1 to create it`)
        fs.mkdirSync(goldenDir, {recursive: true})
        fs.writeFileSync(file, actual)
      }
      assert.equal(actual, fs.readFileSync(file, 'utf8'), `config_dump drifted from ${path.relative(repoRoot, file)} (GW_UPDATE_GOLDEN=1 to accept)`)
    })
  }
})
