import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {acquireLock, probeLock, requestStop, SandboxLocked} from '../../../src/sandbox/lock.ts'
import {useTempDir} from '../../helpers/temp-dir.ts'

describe('the sandbox folder lock', () => {
  const dir = useTempDir('gw-sandbox-lock-')

  it('is held by one holder, tells who holds it, carries the stop request, and is free once released', async () => {
    assert.equal(await probeLock(dir()), undefined)
    const held = await acquireLock(dir())
    try {
      await assert.rejects(acquireLock(dir()), (error: unknown) => error instanceof SandboxLocked && error.holder?.pid === process.pid)
      assert.deepEqual(await probeLock(dir()), {pid: process.pid, stateDir: dir()})
      const asked = new Promise<void>((resolve) => held.onStopRequest(() => resolve(held.release())))
      const stop = await requestStop(dir(), 5000)
      await asked
      assert.deepEqual(stop, {holder: {pid: process.pid, stateDir: dir()}, stopped: true})
    } finally {
      await held.release()
    }
    assert.equal(await probeLock(dir()), undefined)
    const again = await acquireLock(dir())
    await again.release()
  })
})
