import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {gateLine} from '../../../src/ui/canary-view.ts'

describe('canary progress lines', () => {
  it('a gate with a value: name, value, bound, verdict, both sides', () => {
    assert.equal(gateLine({gate: 'success-rate', verdict: 'pass', value: 99.5, bound: '>= 99%', canary: 99.5, stable: 100, detail: ''}), 'success-rate 99.5% (>= 99%) ok [canary 99.5 / stable 100]')
  })

  it('a gate without a value (no data yet) has no empty slot where the value goes', () => {
    assert.equal(gateLine({gate: 'success-rate', verdict: 'no-data', bound: '>= 99%', detail: 'not enough canary requests to judge'}), 'success-rate (>= 99%) no-data: not enough canary requests to judge')
  })
})
