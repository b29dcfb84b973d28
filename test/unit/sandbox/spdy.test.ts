import assert from 'node:assert/strict'
import {deflateSync, inflateSync, constants} from 'node:zlib'
import {describe, it} from 'node:test'
import {decodeHeaderBlock, encodeHeaderBlock, HeaderDeflater, HeaderInflater, spdyDictionary} from '../../../src/sandbox/api/spdy.ts'

describe('SPDY/3 header blocks', () => {
  it('round-trips names and NUL-separated values', () => {
    const headers = {streamtype: ['data'], port: ['15000'], requestid: ['0'], multi: ['a', 'b']}
    assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock(headers)), headers)
  })

  it('has the spec dictionary (1423 bytes, starting with "options", ending with "enq=0.")', () => {
    assert.equal(spdyDictionary.length, 1423)
    assert.equal(spdyDictionary.subarray(4, 11).toString(), 'options')
    assert.equal(spdyDictionary.subarray(-6).toString(), 'enq=0.')
  })

  it('inflates a block compressed with the dictionary, as Go\'s framer sends it', () => {
    const block = encodeHeaderBlock({streamtype: ['error'], port: ['15000']})
    const compressed = deflateSync(block, {dictionary: spdyDictionary, finishFlush: constants.Z_SYNC_FLUSH})
    assert.deepEqual(decodeHeaderBlock(new HeaderInflater().inflate(compressed)), {streamtype: ['error'], port: ['15000']})
  })

  it('writes blocks any zlib reader can read, ending each with a sync flush', () => {
    const deflater = new HeaderDeflater()
    const first = encodeHeaderBlock({a: ['1']})
    const second = encodeHeaderBlock({})
    const stream = Buffer.concat([deflater.deflate(first), deflater.deflate(second)])
    assert.deepEqual(inflateSync(stream, {finishFlush: constants.Z_SYNC_FLUSH}), Buffer.concat([first, second]))
    assert.deepEqual(stream.subarray(-5), Buffer.from([0, 0, 0, 0xff, 0xff]))
  })
})
