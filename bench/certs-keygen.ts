// Key generation and whole-bundle cost per key type, median of N runs.
// Run: node bench/certs-keygen.ts [runs]   (default 11; RSA-4096 uses at most 5, it takes seconds)
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {promisify} from 'node:util'
import {issueCredential, generateKeyPair, keyTypes, type KeyType} from '../src/certs/issue.ts'
import {credentialSecrets} from '../src/certs/secrets.ts'
import {formatTable} from '../src/ui/render.ts'
import {gwBin} from '../test/helpers/paths.ts'

const runs = Number(process.argv[2] ?? 11)

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

async function time(n: number, task: () => Promise<unknown>): Promise<number> {
  await task() // warm-up: lazy imports, JIT
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const start = performance.now()
    await task()
    samples.push(performance.now() - start)
  }
  return median(samples)
}

const rows: (string | number)[][] = []
for (const keyType of keyTypes) {
  const n = keyType === 'rsa-4096' ? Math.min(runs, 5) : runs
  const keygen = await time(n, () => generateKeyPair(keyType as KeyType))
  // What `certs create --mutual --client alice --dry-run=client` computes: CA, server, one client, the Secrets.
  const bundle = await time(n, async () => {
    const issued = await issueCredential({hosts: ['httpbin.example.com', '*.example.com'], keyType, days: 365, clients: ['alice'], now: new Date()})
    return credentialSecrets('httpbin-credential', 'istio-system', issued, {mutual: true, caStorage: {kind: 'store'}})
  })
  rows.push([keyType, n, keygen.toFixed(1), bundle.toFixed(1)])
}
console.log(formatTable(['key type', 'runs', 'keygen median ms', 'bundle (CA+server+client) median ms'], rows).join('\n'))

// The whole command as a user runs it (process start included), when the CLI is built.
if (existsSync(new URL('../dist/bundle/commands.js', import.meta.url))) {
  const run = promisify(execFile)
  const cli = await time(Math.min(runs, 7), () =>
    run(gwBin, ['certs', 'create', 'httpbin-credential', '--host', 'httpbin.example.com', '--mutual', '--dry-run=client', '-o', 'yaml']),
  )
  console.log(`\nkubectl-gw certs create --mutual --dry-run=client -o yaml (ecdsa-p256, whole process): median ${cli.toFixed(0)} ms`)
} else {
  console.log('\n(dist/ not built: run `npm run build` to also time the whole CLI process)')
}
