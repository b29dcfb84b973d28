import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {applyJsonPatch, applyMergePatch, strategicMerge, type Json} from '../../../src/sandbox/api/patch.ts'

describe('JSON patch (RFC 6902)', () => {
  const doc: Json = {spec: {hosts: ['a', 'b'], http: [{route: [{weight: 90}, {weight: 10}]}]}}

  it('adds, replaces, removes, moves, copies and tests', () => {
    const result = applyJsonPatch(doc, [
      {op: 'test', path: '/spec/hosts/0', value: 'a'},
      {op: 'replace', path: '/spec/http/0/route/0/weight', value: 80},
      {op: 'replace', path: '/spec/http/0/route/1/weight', value: 20},
      {op: 'add', path: '/spec/hosts/-', value: 'c'},
      {op: 'remove', path: '/spec/hosts/0'},
      {op: 'copy', from: '/spec/hosts/0', path: '/spec/first'},
      {op: 'move', from: '/spec/first', path: '/spec/moved'},
    ])
    assert.deepEqual(result, {spec: {hosts: ['b', 'c'], http: [{route: [{weight: 80}, {weight: 20}]}], moved: 'b'}})
    assert.deepEqual(doc, {spec: {hosts: ['a', 'b'], http: [{route: [{weight: 90}, {weight: 10}]}]}}, 'the original is untouched')
  })

  it('fails a test op and a missing path with 422', () => {
    assert.throws(() => applyJsonPatch(doc, [{op: 'test', path: '/spec/hosts/0', value: 'z'}]), (e: {code: number}) => e.code === 422)
    assert.throws(() => applyJsonPatch(doc, [{op: 'replace', path: '/spec/nope/x', value: 1}]), (e: {code: number}) => e.code === 422)
    assert.throws(() => applyJsonPatch(doc, [{op: 'remove', path: '/spec/hosts/5'}]), (e: {code: number}) => e.code === 422)
  })

  it('decodes ~1 and ~0 in pointers', () => {
    assert.deepEqual(applyJsonPatch({metadata: {labels: {}}}, [{op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'x'}]), {metadata: {labels: {'app.kubernetes.io/name': 'x'}}})
  })
})

describe('merge patch (RFC 7386)', () => {
  it('merges maps, replaces lists, deletes on null', () => {
    assert.deepEqual(applyMergePatch({a: {b: 1, c: 2}, l: [1, 2], d: 1}, {a: {b: 3}, l: [3], d: null}), {a: {b: 3, c: 2}, l: [3]})
  })
})

describe('strategic merge patch', () => {
  const deployment: Json = {
    spec: {
      template: {
        spec: {
          containers: [
            {name: 'app', image: 'app:1', env: [{name: 'A', value: '1'}, {name: 'B', value: '2'}], ports: [{containerPort: 8080, name: 'http'}]},
            {name: 'sidecar', image: 'proxy:1'},
          ],
        },
      },
    },
  }

  it('merges containers and env by name, ports by containerPort', () => {
    const result = strategicMerge(deployment, {
      spec: {template: {spec: {containers: [{name: 'app', image: 'app:2', env: [{name: 'B', value: '3'}], ports: [{containerPort: 9090, name: 'metrics'}]}]}}},
    }) as {spec: {template: {spec: {containers: {name: string; image: string; env?: unknown[]; ports?: unknown[]}[]}}}}
    const [app, sidecar] = result.spec.template.spec.containers
    assert.equal(app!.image, 'app:2')
    assert.deepEqual(app!.env, [{name: 'A', value: '1'}, {name: 'B', value: '3'}])
    assert.deepEqual(app!.ports, [{containerPort: 8080, name: 'http'}, {containerPort: 9090, name: 'metrics'}])
    assert.equal(sidecar!.image, 'proxy:1')
  })

  it('honours $patch: delete, $setElementOrder and $deleteFromPrimitiveList as kubectl apply sends them', () => {
    const result = strategicMerge(
      {spec: {containers: [{name: 'a'}, {name: 'b'}, {name: 'c'}]}, metadata: {finalizers: ['x', 'y']}},
      {spec: {$setElementOrder: undefined, '$setElementOrder/containers': [{name: 'c'}, {name: 'a'}], containers: [{name: 'b', $patch: 'delete'}]}, metadata: {'$deleteFromPrimitiveList/finalizers': ['x']}} as unknown as Json,
    ) as {spec: {containers: {name: string}[]}; metadata: {finalizers: string[]}}
    assert.deepEqual(result.spec.containers.map((c) => c.name), ['c', 'a'])
    assert.deepEqual(result.metadata.finalizers, ['y'])
  })

  it('replaces lists without a merge key (args) and service ports merge by port', () => {
    const result = strategicMerge({spec: {ports: [{port: 80, name: 'http'}, {port: 443, name: 'https'}], args: ['a', 'b']}}, {spec: {ports: [{port: 443, targetPort: 8443}], args: ['c']}}) as {spec: {ports: unknown[]; args: string[]}}
    assert.deepEqual(result.spec.ports, [{port: 80, name: 'http'}, {port: 443, name: 'https', targetPort: 8443}])
    assert.deepEqual(result.spec.args, ['c'])
  })
})
