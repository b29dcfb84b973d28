import {test} from 'node:test'
import assert from 'node:assert/strict'
import {hostsIntersect} from '../../../src/istio/hosts.ts'
import {re2Problem, weightProblem} from '../../../src/istio/route-rules.ts'
import {hostProblem} from '../../../src/scaffold/rules.ts'

test('hosts: DNS-1123 names, a wildcard only as the whole left-most label', () => {
  for (const ok of ['app.example.com', '*.example.com', '*', 'a-1.b2.example.com']) assert.equal(hostProblem(ok), undefined, ok)
  assert.match(hostProblem('api.*.example.com') ?? '', /left-most label/)
  assert.match(hostProblem('*api.example.com') ?? '', /left-most label/)
  assert.match(hostProblem('App.example.com') ?? '', /lower case/)
  assert.match(hostProblem('-a.example.com') ?? '', /label "-a"/)
  assert.match(hostProblem('a..example.com') ?? '', /empty label/)
  assert.match(hostProblem(`${'a'.repeat(64)}.example.com`) ?? '', /longer than 63/)
})

test('host intersection follows Istio: exact, suffix wildcard, or "*"', () => {
  assert.ok(hostsIntersect('*.example.com', 'api.example.com'))
  assert.ok(hostsIntersect('api.example.com', '*.example.com'))
  assert.ok(hostsIntersect('*', 'x.org'))
  assert.ok(!hostsIntersect('*.example.com', 'example.com'))
  assert.ok(!hostsIntersect('a.example.com', 'b.example.com'))
})

test('regexes: RE2 refuses lookarounds, backreferences, atomic groups, possessive quantifiers', () => {
  assert.equal(re2Problem('/v[0-9]+/.*'), undefined)
  assert.equal(re2Problem('Bearer .*'), undefined)
  assert.equal(re2Problem('a\\\\1'), undefined, 'an escaped backslash followed by 1 is not a backreference')
  assert.match(re2Problem('(?=x)') ?? '', /lookaround/)
  assert.match(re2Problem('(?<!x)y') ?? '', /lookaround/)
  assert.match(re2Problem('(a)\\1') ?? '', /backreference/)
  assert.match(re2Problem('(?>a)') ?? '', /atomic/)
  assert.match(re2Problem('a++') ?? '', /possessive/)
  assert.match(re2Problem('(unclosed') ?? '', /does not compile/)
})

test('weights: several destinations each need one, never all zero, sum 100 only where Istio < 1.15 asks', () => {
  assert.equal(weightProblem([undefined], false), undefined)
  assert.equal(weightProblem([90, 10], true), undefined)
  assert.match(weightProblem([80, 30], false) ?? '', /weights sum to 110; they must sum to 100/, 'Istio >= 1.15 would normalise them silently')
  assert.match(weightProblem([1, 1], true) ?? '', /sum to 2/)
  assert.match(weightProblem([0, 0], false) ?? '', /all weights are 0/)
  assert.match(weightProblem([0], false) ?? '', /weight 0/)
  assert.match(weightProblem([50, undefined], false) ?? '', /need a weight each/)
})
