// TAB latency: `kubectl gw <TAB>` as kubectl runs it (kubectl __complete -> kubectl_complete-gw ->
// kubectl-gw __complete), against kubectl completing its own live names from the same sandbox.
// Run: npm run build && node bench/completion.ts [--runs 20]
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {measure, npmBin} from './startup.ts'

const runsFlag = process.argv.indexOf('--runs')
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 20
// kubectl finds kubectl_complete-gw as on a machine with the npm package installed.
const npm = npmBin()
const gw = path.join(npm.dir, 'kubectl-gw')
const kubectl = process.env.KUBECTL ?? '/usr/bin/kubectl'

const stateDir = mkdtempSync(path.join(tmpdir(), 'gw-bench-completion-'))
const env = {KUBECTL_GW_SANDBOX_DIR: stateDir, KUBECONFIG: path.join(stateDir, 'kubeconfig'), ...npm.env}
execFileSync(gw, ['sandbox', 'up', '--detach'], {env: {...process.env, ...env}, stdio: 'ignore'})
try {
  execFileSync(gw, ['certs', 'create', 'shop-credential', '--host', 'shop.example.com'], {env: {...process.env, ...env}, stdio: 'ignore'})
  const medians = measure(
    [
      {name: "kubectl __complete -n istio-system get secret ''", command: kubectl, args: ['__complete', '-n', 'istio-system', 'get', 'secret', ''], env},
      {name: "kubectl __complete gw ''", command: kubectl, args: ['__complete', 'gw', ''], env},
      {name: "kubectl __complete gw scaffold --tls ''", command: kubectl, args: ['__complete', 'gw', 'scaffold', '--tls', ''], env},
      {name: "kubectl __complete gw certs inspect -n istio-system ''", command: kubectl, args: ['__complete', 'gw', 'certs', 'inspect', '-n', 'istio-system', ''], env},
    ],
    runs,
  )
  const baseline = [...medians.values()][0] as number
  console.log(`completion latency, median of ${runs} interleaved runs (node ${process.version}, ${new Date().toISOString().slice(0, 10)}, ${process.env.GW_BENCH_NOTE ?? 'this machine'})`)
  console.log('| command | median ms | vs kubectl completing its own secrets |')
  console.log('|---|---:|---:|')
  for (const [name, ms] of medians) console.log(`| \`${name}\` | ${ms.toFixed(1)} | ${(ms / baseline).toFixed(2)}x |`)
} finally {
  execFileSync(gw, ['sandbox', 'down'], {env: {...process.env, ...env}, stdio: 'ignore'})
  rmSync(stateDir, {recursive: true, force: true})
}
