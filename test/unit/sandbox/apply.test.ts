import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {fieldSetOf, serverSideApply, trackUpdate, type ManagedFieldsEntry} from '../../../src/sandbox/api/apply.ts'

const now = '2026-01-01T00:00:00Z'
const builtin = {builtin: true, hasStatus: true}

function apply(live: Record<string, any> | undefined, applied: Record<string, any>, manager: string, managedFields: ManagedFieldsEntry[], force = false): {object: any; managedFields: ManagedFieldsEntry[]} {
  return serverSideApply({live, applied, manager, force, managedFields, apiVersion: 'apps/v1', now, ...builtin})
}

describe('server-side apply', () => {
  const config = {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd', labels: {app: 'd'}}, spec: {replicas: 2, template: {spec: {containers: [{name: 'app', image: 'app:1'}]}}}}

  it('records the applied fields with keyed list items', () => {
    const set = fieldSetOf(config, builtin)
    assert.deepEqual(set, {
      'f:metadata': {'f:labels': {'f:app': {}}},
      'f:spec': {'f:replicas': {}, 'f:template': {'f:spec': {'f:containers': {'k:{"name":"app"}': {'.': {}, 'f:name': {}, 'f:image': {}}}}}},
    })
  })

  it('reports a conflict with another manager as 409 naming the field, and takes it over with force', () => {
    const first = apply(undefined, config, 'kubectl', [])
    const scaled = trackUpdate({before: first.object, after: {...first.object, spec: {...first.object.spec, replicas: 5}}, manager: 'hpa', managedFields: first.managedFields, apiVersion: 'apps/v1', now, ...builtin})
    const live = {...first.object, spec: {...first.object.spec, replicas: 5}}
    assert.throws(() => apply(live, config, 'kubectl', scaled), (e: {code: number; message: string}) => e.code === 409 && e.message.includes('.spec.replicas') && e.message.includes('"hpa"'))
    const forced = apply(live, config, 'kubectl', scaled, true)
    assert.equal(forced.object.spec.replicas, 2)
    assert.equal(forced.managedFields.find((e) => e.manager === 'hpa'), undefined, 'hpa lost its only field')
  })

  it('removes fields the manager applied before and no longer applies, keeping others', () => {
    const first = apply(undefined, {...config, metadata: {name: 'd', labels: {app: 'd', team: 'x'}}}, 'kubectl', [])
    const second = apply(first.object, config, 'kubectl', first.managedFields)
    assert.deepEqual(second.object.metadata.labels, {app: 'd'})
  })

  it('merges containers by name instead of replacing the list', () => {
    const first = apply(undefined, config, 'kubectl', [])
    const other = apply(first.object, {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd'}, spec: {template: {spec: {containers: [{name: 'sidecar', image: 'proxy'}]}}}}, 'injector', first.managedFields)
    assert.deepEqual(other.object.spec.template.spec.containers.map((c: {name: string}) => c.name), ['app', 'sidecar'])
  })
})
