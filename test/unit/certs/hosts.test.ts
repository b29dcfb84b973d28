import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {hostProblem, validateHosts} from '../../../src/certs/hosts.ts'
import {hostCoveredBy} from '../../../src/istio/hosts.ts'
import {UsageError} from '../../../src/errors.ts'

describe('certificate hosts', () => {
  it('accepts DNS-1123 names, left-most wildcards and IPs', () => {
    for (const host of ['httpbin.example.com', '*.example.com', 'a-b.c.io', '10.0.0.1', '::1']) assert.equal(hostProblem(host), undefined, host)
  })

  it('rejects what no certificate or Gateway should carry, saying why', () => {
    assert.match(hostProblem('*') ?? '', /wildcard/)
    assert.match(hostProblem('*.com') ?? '', /wildcard/)
    assert.match(hostProblem('a.*.example.com') ?? '', /left-most/)
    assert.match(hostProblem('web*.example.com') ?? '', /left-most/)
    assert.match(hostProblem('Upper.example.com') ?? '', /lower case/)
    assert.match(hostProblem('-bad.example.com') ?? '', /DNS-1123/)
    assert.match(hostProblem(`${'a'.repeat(64)}.example.com`) ?? '', /63/)
  })

  it('validateHosts names the flag and the host, and drops duplicates', () => {
    assert.deepEqual(validateHosts(['a.example.com', 'a.example.com', 'b.example.com']), ['a.example.com', 'b.example.com'])
    assert.throws(() => validateHosts(['ok.example.com', 'bad_host']), (e: unknown) => e instanceof UsageError && /--host "bad_host"/.test(e.message))
    assert.throws(() => validateHosts([]), UsageError)
  })

  it('covers hosts by TLS wildcard rules: one label, never the apex', () => {
    const sans = ['web.example.com', '*.apps.example.com', '10.0.0.1']
    assert.equal(hostCoveredBy('web.example.com', sans), true)
    assert.equal(hostCoveredBy('WEB.example.com', sans), true)
    assert.equal(hostCoveredBy('x.apps.example.com', sans), true)
    assert.equal(hostCoveredBy('apps.example.com', sans), false)
    assert.equal(hostCoveredBy('a.b.apps.example.com', sans), false)
    assert.equal(hostCoveredBy('*.apps.example.com', sans), true, 'a wildcard Gateway host needs the same wildcard SAN')
    assert.equal(hostCoveredBy('*.example.com', sans), false)
    assert.equal(hostCoveredBy('default/web.example.com', sans), true, 'namespace/host form')
    assert.equal(hostCoveredBy('*', sans), undefined, '"*" is not a mismatch: no certificate can name it')
  })
})
