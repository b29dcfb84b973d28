// Runs every benchmark in bench/ one after another (never in parallel: they would time each other),
// each in its own process, printing its figures under its name. A new bench/*.ts is picked up as it is.
// Run: npm run bench   (builds the bundle and the host single executable first)
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const self = path.basename(fileURLToPath(import.meta.url))

function benchmarkFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts') && file !== self && !file.endsWith('.test.ts'))
    .sort()
}

const files = benchmarkFiles(benchDir)
const failed: string[] = []
for (const file of files) {
  console.log(`\n### ${file} (node bench/${file})\n`)
  const started = Date.now()
  const result = spawnSync(process.execPath, [path.join(benchDir, file)], {stdio: 'inherit'})
  if (result.status !== 0) failed.push(`${file} (exit ${result.status ?? result.signal})`)
  console.log(`\n(${file}: ${((Date.now() - started) / 1000).toFixed(1)} s)`)
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`)
  process.exitCode = 1
} else {
  console.log(`\nran ${files.length} benchmarks: ${files.join(', ')}`)
}
