import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {parse, stringify} from 'yaml'
import {parseBlockYaml} from '../../../src/kube/block-yaml.ts'
import {kubectlBin} from '../../helpers/sandbox.ts'
import {useTempDir} from '../../helpers/temp-dir.ts'

/** Where the reader answers, it answers what `yaml` answers; returns whether it answered. */
function agreesWithYaml(text: string): boolean {
  const fast = parseBlockYaml(text)
  if (fast === undefined) return false
  assert.deepEqual(fast, parse(text), `block reader and yaml disagree on:\n${text}`)
  return true
}

// A small deterministic generator (mulberry32), so a failure names a seed that reproduces it.
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// Strings a kubeconfig holds, and strings that look like something else to YAML.
const usual = [
  'gw-sandbox', 'https://127.0.0.1:6443', 'https://[::1]:6443/prefix?x=1#frag', 'client.authentication.k8s.io/v1beta1', 'aws', '--region',
  '--cluster-name=prod', '-v', 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=', 'team-a', 'kube-system', 'arn:aws:eks:eu-west-1:1:cluster/prod',
]
const odd = [
  '', ' ', 'true', 'False', 'null', '~', 'NULL', '123', '1.5', '0x1f',
  '0o17', '.inf', '-.5', '1e3', 'a: b', 'a #b', 'a#b', '#x', '- x', '-', 'x:', "it's", 'say "hi"', 'back\\slash', 'tab\there', 'two\nlines',
  'ünïcode', '{}', '[]', '{a: 1}', '&anchor', '*alias', '!tag', '|', '>', '@at', '`tick`', '%pct', '?q', ':colon', ',comma', 'a:b', 'yes', 'on',
  '2024-01-01', 'a  b', ' lead', 'trail ', '"quoted"', "'single'", 'x'.repeat(120),
]
const keys = ['apiVersion', 'kind', 'clusters', 'cluster', 'server', 'name', 'users', 'user', 'token', 'exec', 'args', 'env', 'value', 'namespace',
  'current-context', 'certificate-authority-data', 'insecure-skip-tls-verify', 'preferences', 'extensions', 'tls-server-name', 'a.b/c', '_x']
// Keys yaml must quote, or that are not strings to YAML: the reader leaves those documents to yaml.
const oddKeys = ['true', 'null', '1', 'a b', 'x:y', 'Yes']

function value(next: () => number, depth: number): unknown {
  const roll = next()
  if (depth > 3 || roll < 0.45) {
    const scalar = next()
    if (scalar < 0.6) return usual[Math.floor(next() * usual.length)]
    if (scalar < 0.8) return odd[Math.floor(next() * odd.length)]
    if (scalar < 0.88) return next() < 0.5
    if (scalar < 0.95) return null
    return Math.floor(next() * 10000) / (next() < 0.5 ? 1 : 100)
  }
  if (roll < 0.75) return mapping(next, depth, Math.floor(next() * 5))
  return Array.from({length: Math.floor(next() * 4)}, () => value(next, depth + 1))
}

function mapping(next: () => number, depth: number, size: number): Record<string, unknown> {
  const map: Record<string, unknown> = {}
  for (let i = 0; i < size; i++) {
    const pool = next() < 0.05 ? oddKeys : keys
    map[pool[Math.floor(next() * pool.length)] as string] = value(next, depth + 1)
  }
  return map
}

describe('the block YAML reader (kubeconfig fast path)', () => {
  const tempDir = useTempDir('gw-block-yaml-')

  it('reads what real kubectl writes into a kubeconfig, exactly as yaml does', () => {
    const dir = tempDir()
    const file = path.join(dir, 'config')
    const kubectl = (...args: string[]) => execFileSync(kubectlBin, ['--kubeconfig', file, 'config', ...args], {stdio: ['ignore', 'ignore', 'pipe']})
    const weird = ['true', 'null', '123', 'a: b', 'a #b', "it's", 'say "hi"', '', '~', '- x', '{x}', 'ünï']
    kubectl('set-cluster', 'prod', '--server', 'https://10.0.0.1:6443', '--tls-server-name', 'api.internal')
    kubectl('set-cluster', 'dev', '--server', 'https://127.0.0.1:6443', '--insecure-skip-tls-verify=true')
    kubectl('set', 'clusters.dev.certificate-authority-data', Buffer.from('not a CA').toString('base64'))
    kubectl('set-credentials', 'admin', '--token', 'abc.def-ghi')
    kubectl('set-credentials', 'eks', '--exec-api-version', 'client.authentication.k8s.io/v1beta1', '--exec-command', 'aws', '--exec-arg', 'eks,get-token,--cluster-name,prod', '--exec-env', 'AWS_PROFILE=prod')
    kubectl('set-credentials', 'basic', '--username', 'me', '--password', 'p: #s')
    for (const [i, text] of weird.entries()) kubectl('set-context', `ctx-${i}`, '--cluster', 'prod', '--user', 'admin', '--namespace', text)
    kubectl('set-context', 'dev', '--cluster', 'dev', '--user', 'eks')
    kubectl('use-context', 'dev')
    // kubectl quotes what would read as something else, and the reader takes those quoted forms.
    const written = readFileSync(file, 'utf8')
    assert.ok(agreesWithYaml(written), `kubectl's kubeconfig is outside the block subset:\n${written}`)
    assert.equal((parse(written) as {contexts: unknown[]}).contexts.length, weird.length + 1)
  })

  it('agrees with yaml on hand-written forms, and leaves the rest to it', () => {
    const inside = [
      '',
      '# only a comment\n',
      '---\napiVersion: v1\n',
      'a: x1\nb: "q # not a comment"\nc: \'it\'\'s\' # comment\nd: plain # comment\ne:\nf: {}\ng: []\n',
      'list:\n- a\n-   b\n- name: x\n  value: y\n-\n  nested: true\n- ~\n',
      'list:\n  - a\n  - k: v\n    k2: v2\n',
      'a:\n  b:\n    c: d\n  e: f\ng: h\n',
      'a: b\r\nc: d\r\n',
      'a:   spaced   \n',
      '  indented: root\n  second: key\n',
      'x: https://h:6443/p#frag\n',
      'x: a:b\n',
    ]
    const outside = [
      'a: [1, 2]\n', 'a: {b: c}\n', 'a: &x b\nc: *x\n', 'a: !!str b\n', 'a: |\n  text\n', 'a: >\n  text\n', 'a: 1\n', 'a: 1.5\n', 'a: 0x1f\n',
      'a: "esc\\n"\n', 'a: "multi\n  line"\n', 'a: plain\n  continued\n', 'a: b\na: c\n', '\ta: b\n', 'a:\tb\n', 'a: b\n---\nc: d\n', '%YAML 1.2\n---\na: b\n',
      '- - nested\n', '"quoted key": v\n', 'a b: c\n', 'a: b: c\n', 'just a scalar\n', 'a: b\n  c: d\n', '? complex\n: key\n', '\ufeffa: b\n', '__proto__: x\n',
    ]
    for (const text of inside) assert.ok(agreesWithYaml(text), `expected inside the subset:\n${JSON.stringify(text)}`)
    for (const text of outside) assert.equal(parseBlockYaml(text), undefined, `expected left to yaml:\n${JSON.stringify(text)}`)
  })

  it('agrees with yaml on 3,000 generated documents in every style yaml writes', () => {
    const styles = [
      {},
      {indentSeq: false},
      {defaultStringType: 'QUOTE_DOUBLE' as const},
      {defaultStringType: 'QUOTE_SINGLE' as const, indentSeq: false},
      {lineWidth: 20, minContentWidth: 0},
      {collectionStyle: 'flow' as const},
      {indent: 4},
    ]
    let answered = 0
    let total = 0
    for (let seed = 1; seed <= 3000; seed++) {
      const next = random(seed)
      // A kubeconfig is a mapping at the top.
      const doc = mapping(next, 0, 1 + Math.floor(next() * 5))
      const style = styles[seed % styles.length]
      let text = stringify(doc, style)
      // Comments and blank lines where a hand edit would put them.
      if (next() < 0.3) text = text.replace(/\n/, '\n# a comment\n\n')
      if (next() < 0.2) text = text.replace(/\n/g, ' # trailing\n')
      total++
      try {
        if (agreesWithYaml(text)) answered++
      } catch (error) {
        throw new Error(`seed ${seed}: ${(error as Error).message}`)
      }
    }
    // The comparison must not be vacuous: the reader answers for a good share of these documents.
    assert.ok(answered > total * 0.2, `the block reader answered only ${answered} of ${total}`)
  })
})
