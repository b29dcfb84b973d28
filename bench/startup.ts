// Start-up of the plugin executable against kubectl in the same run (DESIGN.md: within 2x of kubectl
// from the npm install, 1.5x from the single executable; a cluster command within 2x of kubectl's).
// Run: npm run build && npm run sea && node bench/startup.ts [--runs 30]
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runsFlag = process.argv.indexOf('--runs')
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 30

/**
 * A bin folder as `npm install -g` makes it: kubectl-gw and kubectl_complete-gw linked to the
 * package's bin scripts, which run with the `node` first on PATH (here the Node running the benchmark).
 */
export function npmBin(): {dir: string; env: {PATH: string}} {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-bench-bin-'))
  symlinkSync(path.join(root, 'bin', 'run.js'), path.join(dir, 'kubectl-gw'))
  symlinkSync(path.join(root, 'bin', 'complete.js'), path.join(dir, 'kubectl_complete-gw'))
  process.on('exit', () => rmSync(dir, {recursive: true, force: true}))
  return {dir, env: {PATH: `${dir}:${path.dirname(process.execPath)}:${process.env.PATH}`}}
}

const sea = path.join(root, 'dist', 'sea', 'kubectl-gw')
const kubectl = process.env.KUBECTL ?? '/usr/bin/kubectl'

interface Case {
  name: string
  command: string
  args: string[]
  env?: Record<string, string>
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function time(c: Case): number {
  const started = process.hrtime.bigint()
  const result = spawnSync(c.command, c.args, {stdio: 'ignore', env: {...process.env, ...c.env}})
  if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}`)
  return Number(process.hrtime.bigint() - started) / 1e6
}

export function measure(cases: Case[], count: number): Map<string, number> {
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
  for (const c of cases) time(c) // warm the page cache and Node's compile cache
  // Interleave the cases so that machine noise hits them all alike.
  for (let i = 0; i < count; i++) for (const c of cases) samples.get(c.name)?.push(time(c))
  return new Map([...samples].map(([name, values]) => [name, median(values)]))
}

function printTable(title: string, medians: Map<string, number>, baselineName: string): void {
  const baseline = medians.get(baselineName) as number
  console.log(`\n${title}`)
  console.log(`| command | median ms | vs \`${baselineName}\` |`)
  console.log('|---|---:|---:|')
  for (const [name, ms] of medians) console.log(`| \`${name}\` | ${ms.toFixed(1)} | ${(ms / baseline).toFixed(2)}x |`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const nodeVersion = execFileSync(process.execPath, ['--version']).toString().trim()
  console.log(`start-up, median of ${runs} interleaved runs (node ${nodeVersion}, ${new Date().toISOString().slice(0, 10)}, ${process.env.GW_BENCH_NOTE ?? 'this machine'})`)
  const npm = npmBin()
  const gw = path.join(npm.dir, 'kubectl-gw')
  if (!existsSync(sea)) throw new Error(`${sea} is missing: run npm run sea first`)
  printTable(
    'client only (DESIGN.md: npm install within 2x of kubectl version --client, single executable within 1.5x)',
    measure(
      [
        {name: 'node -e 0', command: process.execPath, args: ['-e', '0']},
        {name: 'kubectl version --client', command: kubectl, args: ['version', '--client']},
        {name: 'kubectl-gw version --client', command: gw, args: ['version', '--client'], env: npm.env},
        {name: 'kubectl-gw --help', command: gw, args: ['--help'], env: npm.env},
        {name: 'single executable: kubectl-gw version --client', command: sea, args: ['version', '--client']},
        {name: 'single executable: kubectl-gw --help', command: sea, args: ['--help']},
        {name: 'kubectl gw version --client', command: kubectl, args: ['gw', 'version', '--client'], env: npm.env},
      ],
      runs,
    ),
    'kubectl version --client',
  )

  // Against a cluster: the sandbox, detached, in a throwaway state dir.
  const stateDir = mkdtempSync(path.join(tmpdir(), 'gw-bench-startup-'))
  const env = {KUBECTL_GW_SANDBOX_DIR: stateDir, KUBECONFIG: path.join(stateDir, 'kubeconfig'), ...npm.env}
  execFileSync(gw, ['sandbox', 'up', '--detach'], {env: {...process.env, ...env}, stdio: 'ignore'})
  try {
    printTable(
      'against the sandbox (DESIGN.md: within 2x of kubectl version against the same server)',
      measure(
        [
          {name: 'kubectl version', command: kubectl, args: ['version'], env},
          {name: 'kubectl-gw version', command: gw, args: ['version'], env},
          {name: 'single executable: kubectl-gw version', command: sea, args: ['version'], env},
        ],
        runs,
      ),
      'kubectl version',
    )
  } finally {
    execFileSync(gw, ['sandbox', 'down'], {env: {...process.env, ...env}, stdio: 'ignore'})
    rmSync(stateDir, {recursive: true, force: true})
  }
}
