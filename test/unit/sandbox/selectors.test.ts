import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector} from '../../../src/sandbox/api/selectors.ts'

const labels = {app: 'api-service', version: 'v2', tier: 'backend'}

describe('label selectors', () => {
  const cases: [string, boolean][] = [
    ['app=api-service', true],
    ['app==api-service', true],
    ['app!=api-service', false],
    ['app=web', false],
    ['version in (v1,v2)', true],
    ['version in (v1, v3)', false],
    ['version notin (v1)', true],
    ['version notin (v2,v3)', false],
    ['tier', true],
    ['canary', false],
    ['!canary', true],
    ['!tier', false],
    ['app=api-service,version in (v2),!canary', true],
    ['app=api-service,version=v1', false],
    ['missing!=x', true],
    ['', true],
  ]
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} -> ${expected}`, () => {
      assert.equal(matchesLabels(parseLabelSelector(selector), labels), expected)
    })
  }

  it('rejects a malformed key as a 400 naming the selector', () => {
    assert.throws(() => parseLabelSelector('app=x,-bad-=y'), (error: {code: number; message: string}) => error.code === 400 && error.message.includes('-bad-'))
  })
})

describe('field selectors', () => {
  const pod = {metadata: {name: 'p1', namespace: 'default'}, spec: {nodeName: 'node-a'}, status: {phase: 'Running'}}
  it('matches metadata.name, metadata.namespace, status.phase and spec.nodeName', () => {
    assert.equal(matchesFields(parseFieldSelector('metadata.name=p1,metadata.namespace=default', 'Pod'), pod), true)
    assert.equal(matchesFields(parseFieldSelector('status.phase=Running,spec.nodeName=node-a', 'Pod'), pod), true)
    assert.equal(matchesFields(parseFieldSelector('status.phase!=Running', 'Pod'), pod), false)
    assert.equal(matchesFields(parseFieldSelector('spec.nodeName=other', 'Pod'), pod), false)
  })

  it('rejects fields the kind does not index, as the apiserver does', () => {
    assert.throws(() => parseFieldSelector('status.phase=Running', 'ConfigMap'), /field label not supported: status.phase/)
  })
})
