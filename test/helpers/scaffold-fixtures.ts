import {readFileSync} from 'node:fs'
import path from 'node:path'
import {parseAllDocuments} from 'yaml'
import type {KubeObject} from '../../src/kube/objects.ts'
import {clientDryRunFacts, type ClusterFacts} from '../../src/scaffold/facts.ts'
import {parseSpecText} from '../../src/scaffold/parse-spec.ts'
import {planScaffold} from '../../src/scaffold/scaffold.ts'
import {repoRoot, sharedDir} from './paths.ts'

export const fixturesDir = path.join(repoRoot, 'test', 'fixtures', 'scaffold')

export function seedText(seed: '000' | '001' | '002'): string {
  const files = {'000': '000_d870c13a5f1fb9d0.txt', '001': '001_7f80a4f47fbd7e26.txt', '002': '002_601599a6556cdc93.txt'}
  return readFileSync(path.join(sharedDir, 'seeds', files[seed]), 'utf8')
}

export function yamlObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)
}

/** Seed 000's fenced YAML blocks, keyed by the file name in their first comment (`# gateway-tls.yaml`). */
export function seed000Blocks(): Map<string, KubeObject[]> {
  const blocks = new Map<string, KubeObject[]>()
  for (const match of seedText('000').matchAll(/```yaml\n([\s\S]*?)```/g)) {
    const body = match[1] as string
    const name = body.match(/^# (\S+\.yaml)/)?.[1]
    if (name) blocks.set(name, yamlObjects(body))
  }
  return blocks
}

/** Seed 001's HPA and PDB, which the article prints as plain text (no fences). */
export function seed001Scaling(): KubeObject[] {
  const text = seedText('001')
  const hpa = text.slice(text.indexOf('apiVersion: autoscaling/v2'), text.indexOf('Setting Recommendation'))
  const pdbStart = text.indexOf('apiVersion: policy/v1')
  const pdb = text.slice(pdbStart, text.indexOf('\nLeave a comment', pdbStart))
  return [...yamlObjects(hpa), ...yamlObjects(pdb)]
}

export async function planFixture(file: string, facts: ClusterFacts = clientDryRunFacts(), namespace = 'default') {
  const fileName = path.join(fixturesDir, file)
  const {spec, locate} = await parseSpecText(readFileSync(fileName, 'utf8'), fileName)
  return planScaffold(spec, facts, namespace, locate)
}

export function fixtureFiles(): string[] {
  return ['gateway-http.yaml', 'virtualservice-basic.yaml', 'gateway-tls.yaml', 'gateway-mtls.yaml', 'gateway-multi-host.yaml', 'gateway-wildcard.yaml',
    'virtualservice-path-routing.yaml', 'virtualservice-advanced-routing.yaml', 'virtualservice-canary.yaml', 'virtualservice-resilience.yaml',
    'envoyfilter-ratelimit.yaml', 'production-ingress.yaml', 'gateway-scaling.yaml', 'egress-http.yaml', 'egress-passthrough.yaml', 'egress-originate.yaml']
}
