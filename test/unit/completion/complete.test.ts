import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {complete, Directive, formatCompletion, liveKindFor, type CompletableCommand, type LiveKind} from '../../../src/completion/complete.ts'

const kubectlFlags = [
  {name: 'kubeconfig', takesValue: true},
  {name: 'context', takesValue: true},
  {name: 'namespace', char: 'n', takesValue: true},
  {name: 'output', char: 'o', takesValue: true, options: ['table', 'yaml', 'json']},
  {name: 'verbose', takesValue: false},
]

// Commands as a registry might declare them, including ones the completer has never seen.
const registry: CompletableCommand[] = [
  {id: 'canary', summary: 'Shift traffic stepwise.', flags: [...kubectlFlags, {name: 'provider', takesValue: true, options: ['auto', 'prometheus', 'envoy']}, {name: 'step', takesValue: true}], args: [{name: 'virtualService'}]},
  {id: 'canary:status', summary: 'Show a run.', flags: kubectlFlags, args: [{name: 'VIRTUALSERVICE'}]},
  {id: 'canary:abort', summary: 'Restore the stable weights.', flags: kubectlFlags, args: [{name: 'virtualservice'}]},
  {id: 'doctor', summary: 'Diagnose ingress.', flags: [...kubectlFlags, {name: 'gateway', takesValue: true}, {name: 'host', takesValue: true}], args: []},
  {id: 'certs:inspect', summary: 'Inspect secrets.', flags: kubectlFlags, args: [{name: 'secret'}]},
  {id: 'certs:create', summary: 'Create secrets.', flags: [...kubectlFlags, {name: 'ca-secret', takesValue: true}, {name: 'out-dir', takesValue: true}], args: [{name: 'secret'}]},
  {id: 'rollout', summary: 'A command whose argument is a ROUTE.', flags: kubectlFlags, args: [{name: 'route'}]},
  {id: 'help', summary: 'Help.', flags: [], args: []},
  {id: '__complete', hidden: true, flags: [], args: []},
]

function fakeCluster() {
  const asked: {kind: LiveKind; namespace?: string; context?: string}[] = []
  const names: Record<LiveKind, string[]> = {
    namespaces: ['default', 'istio-system'],
    contexts: ['prod', 'gw-sandbox'],
    gateways: ['public-gw', 'internal-gw'],
    virtualservices: ['reviews', 'ratings'],
    routes: ['reviews', 'httproute/shop'],
    secrets: ['shop-credential', 'shop-credential-ca'],
    deployments: ['httpbin'],
  }
  return {
    asked,
    live: async (kind: LiveKind, scope: {namespace?: string; context?: string}) => {
      asked.push({kind, namespace: scope.namespace, context: scope.context})
      return names[kind]
    },
  }
}

const values = async (words: string[], live = fakeCluster().live) => (await complete(registry, words, live, {certs: 'Certificates.'})).candidates.map((c) => c.value)

describe('completion from the command registry', () => {
  it('top level: commands and topics with their summaries, never hidden ones, no file fallback', async () => {
    const result = await complete(registry, [''], fakeCluster().live, {certs: 'Certificates.'})
    assert.deepEqual(result.candidates, [
      {value: 'canary', description: 'Shift traffic stepwise.'},
      {value: 'doctor', description: 'Diagnose ingress.'},
      {value: 'certs', description: 'Certificates.'},
      {value: 'rollout', description: 'A command whose argument is a ROUTE.'},
      {value: 'help', description: 'Help.'},
    ])
    assert.equal(result.directive, Directive.noFileComp)
  })

  it('filters by the word typed', async () => {
    assert.deepEqual(await values(['c']), ['canary', 'certs'])
    assert.deepEqual(await values(['certs', 'i']), ['inspect'])
  })

  it('a command that is also a topic offers its subcommands and its argument\'s live names', async () => {
    const cluster = fakeCluster()
    assert.deepEqual(await values(['canary', ''], cluster.live), ['status', 'abort', 'ratings', 'reviews'])
    assert.deepEqual(cluster.asked.map((a) => a.kind), ['virtualservices'])
  })

  it('arguments get live names by their name, in the namespace and context given on the line', async () => {
    const cluster = fakeCluster()
    assert.deepEqual(await values(['canary', 'status', '-n', 'shop', '--context=prod', 'r'], cluster.live), ['ratings', 'reviews'])
    assert.deepEqual(cluster.asked, [{kind: 'virtualservices', namespace: 'shop', context: 'prod'}])
    assert.deepEqual(await values(['-n', 'istio-system', 'certs', 'inspect', 'shop-credential-']), ['shop-credential-ca'])
    assert.deepEqual(await values(['rollout', '']), ['httproute/shop', 'reviews'])
  })

  it('after the command\'s arguments are given, nothing more is offered', async () => {
    assert.deepEqual(await values(['certs', 'inspect', 'shop-credential', '']), [])
  })

  it('flag values: options, live names, or the shell\'s files', async () => {
    assert.deepEqual(await values(['canary', 'reviews', '--provider', '']), ['auto', 'prometheus', 'envoy'])
    assert.deepEqual(await values(['canary', 'reviews', '--provider=p']), ['--provider=prometheus'])
    assert.deepEqual(await values(['doctor', '--gateway', '']), ['internal-gw', 'public-gw'])
    assert.deepEqual(await values(['certs', 'create', 'x', '--ca-secret', '']), ['shop-credential', 'shop-credential-ca'])
    assert.deepEqual(await values(['-n', '']), ['default', 'istio-system'])
    assert.deepEqual(await values(['doctor', '--context', '']), ['gw-sandbox', 'prod'])
    const files = await complete(registry, ['certs', 'create', 'x', '--out-dir', ''], fakeCluster().live)
    assert.deepEqual(files, {candidates: [], directive: Directive.default})
  })

  it('flags of the command, not those already given, with short forms for a bare dash', async () => {
    assert.deepEqual(await values(['doctor', '--g']), ['--gateway'])
    assert.deepEqual(await values(['doctor', '--gateway', 'public-gw', '--g']), [])
    assert.ok((await values(['doctor', '-'])).includes('-n'))
  })

  it('a cluster that cannot answer gives no names and no error', async () => {
    const result = await complete(registry, ['certs', 'inspect', ''], async () => {
      throw new Error('connection refused')
    })
    assert.deepEqual(result, {candidates: [], directive: Directive.noFileComp})
  })

  it('names map to live kinds as users name things', () => {
    assert.equal(liveKindFor('VIRTUALSERVICE', 'argument'), 'virtualservices')
    assert.equal(liveKindFor('virtualService', 'argument'), 'virtualservices')
    assert.equal(liveKindFor('ca-secret', 'flag'), 'secrets')
    assert.equal(liveKindFor('gateway', 'flag'), 'gateways')
    assert.equal(liveKindFor('ROUTE', 'argument'), 'routes')
    assert.equal(liveKindFor('route', 'flag'), undefined, 'a --route flag names an HTTP route inside a VirtualService')
    assert.equal(liveKindFor('host', 'flag'), undefined)
  })

  it('speaks the protocol: value<TAB>first line of the description, then :directive', () => {
    assert.equal(formatCompletion({candidates: [{value: 'certs', description: 'Certificates.\nMore.'}, {value: 'x'}], directive: 4}), 'certs\tCertificates.\nx\n:4\n')
  })
})
