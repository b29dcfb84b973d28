import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parseAllDocuments} from 'yaml'
import {sharedDir} from '../../helpers/paths.ts'
import {istioFieldTree, pruneUnknownFields, type FieldNode} from '../../../src/sandbox/api/known-fields.ts'

const crds = parseAllDocuments(readFileSync(path.join(sharedDir, 'reference', 'istio', 'crd-all.gen.yaml'), 'utf8')).map((d) => d.toJS() as any)

/** Every field path a CRD schema declares below spec ("*" for map values, "[]" for list items). */
function schemaPaths(schema: any, prefix: string, out: Set<string>): void {
  if (!schema || schema['x-kubernetes-preserve-unknown-fields']) return
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    out.add(`${prefix}.${name}`)
    schemaPaths(child, `${prefix}.${name}`, out)
  }
  if (schema.items) schemaPaths(schema.items, `${prefix}[]`, out)
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') schemaPaths(schema.additionalProperties, `${prefix}.*`, out)
  for (const branch of [...(schema.oneOf ?? []), ...(schema.anyOf ?? []), ...(schema.allOf ?? [])]) schemaPaths(branch, prefix, out)
}

function treePaths(node: FieldNode | undefined, prefix: string, out: Set<string>): void {
  if (!node || node.open) return
  for (const [name, child] of node.properties ?? []) {
    out.add(`${prefix}.${name}`)
    treePaths(child, `${prefix}.${name}`, out)
  }
  if (node.items) treePaths(node.items, `${prefix}[]`, out)
  if (node.additional) treePaths(node.additional, `${prefix}.*`, out)
}

describe('known Istio fields agree with Istio CRD schemas (crd-all.gen.yaml)', () => {
  const kinds: [string, string][] = [['v1', 'Gateway'], ['v1', 'VirtualService'], ['v1', 'DestinationRule'], ['v1', 'ServiceEntry'], ['v1', 'Sidecar'], ['v1beta1', 'VirtualService'], ['v1alpha3', 'EnvoyFilter']]
  for (const [version, kind] of kinds) {
    it(`${kind} ${version}: the same field paths below spec`, () => {
      const crd = crds.find((c) => c?.spec?.group === 'networking.istio.io' && c.spec.names.kind === kind)
      const schema = crd.spec.versions.find((v: {name: string}) => v.name === version).schema.openAPIV3Schema.properties.spec
      const expected = new Set<string>()
      schemaPaths(schema, 'spec', expected)
      const actual = new Set<string>()
      treePaths(istioFieldTree(version, kind)?.properties?.get('spec'), 'spec', actual)
      const missing = [...expected].filter((p) => !actual.has(p))
      const extra = [...actual].filter((p) => !expected.has(p))
      assert.deepEqual({missing, extra}, {missing: [], extra: []})
    })
  }

  it('prunes unknown fields and names them as the apiserver does', () => {
    const object = {spec: {hosts: ['a'], hostz: ['b'], http: [{route: [{destination: {host: 'x', subst: 'y'}}], headers: {request: {set: {'x-a': '1'}}}}]}}
    const unknown = pruneUnknownFields(object, istioFieldTree('v1', 'VirtualService')!)
    assert.deepEqual(unknown, ['spec.hostz', 'spec.http[0].route[0].destination.subst'])
    assert.deepEqual(object, {spec: {hosts: ['a'], http: [{route: [{destination: {host: 'x'}}], headers: {request: {set: {'x-a': '1'}}}}]}})
  })
})
