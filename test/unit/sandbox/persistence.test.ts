import assert from 'node:assert/strict'
import {appendFileSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {ObjectStore} from '../../../src/sandbox/api/store.ts'
import {journalFileOf, readState, SandboxStateCorrupt, StateWriter} from '../../../src/sandbox/persistence.ts'
import type {StoredObject} from '../../../src/sandbox/mesh-contract.ts'
import {useTempDir} from '../../helpers/temp-dir.ts'

function configMap(name: string, value: string): StoredObject {
  return {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '0', creationTimestamp: '2026-12-01T00:00:00Z'}, data: {value}} as StoredObject
}

const values = (state: ReturnType<typeof readState>) => Object.fromEntries((state?.objects ?? []).map((o) => [o.object.metadata.name, (o.object as {data?: {value?: string}}).data?.value]))

describe('sandbox persistence: snapshot + fsynced journal', () => {
  const dir = useTempDir('gw-persistence-')

  it('has every write on disk once durable() resolves, before any checkpoint, and compacts when the journal grows', async () => {
    const file = path.join(dir(), 'a', 'state.json')
    const store = new ObjectStore('1.28')
    const writer = new StateWriter(file, store, {istioVersion: '1.28', world: 'empty'}, {compactBytes: 2048})
    await writer.checkpoint()
    store.put('', configMap('one', '1'))
    store.put('', configMap('two', '2'))
    await store.durable()
    // Read as a restarted process would (the writer was never closed: a kill -9).
    assert.deepEqual(values(readState(file)), {one: '1', two: '2'})
    for (let i = 0; i < 40; i++) store.put('', configMap(`bulk-${i}`, 'x'.repeat(100)))
    store.remove('', store.get('', 'ConfigMap', 'default', 'one')!)
    await store.durable()
    const journalSize = readFileSync(journalFileOf(file)).length
    assert.ok(journalSize < 2048, `the journal was compacted into the state file (${journalSize} bytes left)`)
    const state = values(readState(file))
    assert.equal(state.one, undefined, 'the delete is kept')
    assert.equal(Object.keys(state).length, 41)
    await writer.close()
  })

  it('drops a torn last journal line (never acknowledged) and names the file when a line in the middle is bad', () => {
    const file = path.join(dir(), 'torn.json')
    writeFileSync(file, JSON.stringify({format: 1, istioVersion: '1.28', world: 'empty', resourceVersion: 5, objects: [{group: '', object: configMap('kept', 'old')}]}))
    const line = (rv: number, name: string, value: string) => `${JSON.stringify({rv, group: '', op: 'put', object: configMap(name, value)})}\n`
    writeFileSync(journalFileOf(file), line(4, 'kept', 'older than the snapshot') + line(6, 'kept', 'new') + line(7, 'added', 'yes'))
    appendFileSync(journalFileOf(file), '{"rv":8,"group":"","op":"put","obj')
    const state = readState(file)
    assert.deepEqual(values(state), {kept: 'new', added: 'yes'})
    assert.equal(state?.resourceVersion, 7)
    appendFileSync(journalFileOf(file), `\n${line(9, 'later', 'x')}`)
    assert.throws(() => readState(file), (error: unknown) => error instanceof SandboxStateCorrupt && error.file === journalFileOf(file) && /line 4/.test(error.message))
    writeFileSync(file, '{"format":1,"obj')
    assert.throws(() => readState(file), (error: unknown) => error instanceof SandboxStateCorrupt && error.message.startsWith(`${file} is corrupt`))
  })
})
