import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {promisify} from 'node:util'
import {COMMANDS} from '../../commands/index.ts'
import {liveKindFor, type LiveKind} from '../../src/completion/complete.ts'
import {repoRoot, requireBuiltCli} from '../helpers/paths.ts'
import {kubectlBin, startTestSandbox, type TestSandbox} from '../helpers/sandbox.ts'

const run = promisify(execFile)
const probe = 'completion-probe'

// One object of every live kind, named `probe`, for the completer to find.
const probeObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: ${probe}}
---
apiVersion: v1
kind: Secret
metadata: {name: ${probe}, namespace: default}
type: Opaque
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${probe}, namespace: default}
spec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['probe.example.com']}]}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${probe}, namespace: default}
spec: {hosts: ['probe.example.com'], http: [{route: [{destination: {host: httpbin}}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${probe}, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${probe}}}
  template: {metadata: {labels: {app: ${probe}}}, spec: {containers: [{name: app, image: busybox}]}}
`
const expectedName: Record<LiveKind, string> = {namespaces: probe, secrets: probe, gateways: probe, virtualservices: probe, routes: probe, deployments: probe, contexts: 'gw-sandbox'}

interface Declared {
  flags: Record<string, {name: string; type: string; options?: string[]}>
  args: Record<string, {name: string; options?: string[]}>
  hidden?: boolean
}
const visible = Object.entries(COMMANDS as unknown as Record<string, Declared & {baseFlags?: Declared['flags']}>)
  .filter(([, c]) => !c.hidden)
  .map(([id, c]) => ({id, words: id.split(':'), flags: Object.entries({...c.baseFlags, ...c.flags}).map(([name, f]) => ({...f, name})), args: Object.entries(c.args ?? {}).map(([name, a]) => ({...a, name}))}))

describe('kubectl __complete gw ... (real kubectl runs kubectl_complete-gw)', () => {
  let sandbox: TestSandbox
  let env: Record<string, string>

  before(async () => {
    requireBuiltCli()
    sandbox = await startTestSandbox({world: 'empty'})
    env = {PATH: `${path.join(repoRoot, 'bin')}:/usr/bin:/bin`, HOME: sandbox.dir, KUBECONFIG: sandbox.kubeconfig}
    const applied = await sandbox.kubectl(['apply', '-f', '-'], probeObjects)
    assert.equal(applied.code, 0, applied.stderr)
  })
  after(() => sandbox?.close())

  async function completions(words: string[]): Promise<{values: string[]; directive: string}> {
    const {stdout} = await run(kubectlBin, ['__complete', 'gw', ...words], {env})
    const lines = stdout.trimEnd().split('\n')
    return {values: lines.slice(0, -1).map((l) => l.split('\t')[0]!), directive: lines.at(-1)!}
  }

  it('offers every registered command and topic at the top level, and no files', async () => {
    const {values, directive} = await completions([''])
    assert.deepEqual(values.sort(), [...new Set(visible.map((c) => c.words[0]!))].sort())
    assert.equal(directive, ':4')
  })

  it('offers the subcommands of every topic', async () => {
    const topics = [...new Set(visible.filter((c) => c.words.length > 1).map((c) => c.words[0]!))]
    assert.ok(topics.includes('certs'))
    await Promise.all(
      topics.map(async (topic) => {
        const {values} = await completions([topic, ''])
        const expected = visible.filter((c) => c.words[0] === topic && c.words.length === 2).map((c) => c.words[1]!)
        for (const sub of expected) assert.ok(values.includes(sub), `${topic} ${sub}: got ${values.join(' ')}`)
      }),
    )
  })

  it('completes every declared flag\'s values (--tls, -o, --provider, ...)', async () => {
    // One command per flag name: the values come from the same metadata for every command.
    const cases = new Map<string, {words: string[]; options: string[]}>()
    for (const command of visible) {
      for (const flag of command.flags) if (flag.type === 'option' && flag.options?.length && !cases.has(flag.name)) cases.set(flag.name, {words: [...command.words, `--${flag.name}`, ''], options: flag.options})
    }
    assert.ok(cases.has('output') && cases.has('tls'), 'the registry declares flag values (--tls, -o)')
    await Promise.all(
      [...cases].map(async ([name, c]) => {
        const {values} = await completions(c.words)
        assert.deepEqual(values, c.options, `--${name}`)
      }),
    )
  })

  it('completes live names from the sandbox for every argument and flag that names a kind', async () => {
    // One case per kind and place (argument or flag): the lookup depends on the name, not the command.
    const cases = new Map<string, {words: string[]; kind: LiveKind}>()
    for (const command of visible) {
      for (const [index, arg] of command.args.entries()) {
        const kind = liveKindFor(arg.name, 'argument')
        if (kind && !cases.has(`${kind} argument`)) cases.set(`${kind} argument`, {kind, words: [...command.words, ...command.args.slice(0, index).map(() => 'x'), '']})
      }
      for (const flag of command.flags) {
        const kind = flag.type === 'option' && !flag.options?.length ? liveKindFor(flag.name, 'flag') : undefined
        if (kind && !cases.has(`--${flag.name}`)) cases.set(`--${flag.name}`, {kind, words: [...command.words, `--${flag.name}`, '']})
      }
    }
    for (const expected of ['--namespace', '--context', 'secrets argument']) assert.ok(cases.has(expected), `the registry has a ${expected} to complete`)
    await Promise.all(
      [...cases].map(async ([name, c]) => {
        const {values} = await completions(c.words)
        assert.ok(values.includes(expectedName[c.kind]), `${name} (kubectl gw ${c.words.join(' ')}): got ${values.join(' ')}`)
      }),
    )
  })

  it('the standalone script for bash completes through the same completer', async () => {
    const script = `source <(kubectl-gw completion bash); COMP_WORDS=(kubectl-gw certs ins); COMP_CWORD=2; _kubectl_gw; printf '%s\\n' "\${COMPREPLY[@]}"`
    const {stdout} = await run('bash', ['-c', script], {env})
    assert.equal(stdout, 'inspect\n')
  })
})
