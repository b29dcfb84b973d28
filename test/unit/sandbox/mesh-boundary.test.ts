import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {it} from 'node:test'
import {repoRoot} from '../../helpers/paths.ts'

/** The simulated mesh must be able to disagree with the tool: it may not import the tool's analysis code. */
it('src/sandbox imports none of kubectl-gw kube/istio/scaffold/doctor/canary modules', () => {
  const offenders: string[] = []
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
      const file = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(file)
      else if (file.endsWith('.ts')) {
        for (const m of fs.readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)) {
          const target = path.resolve(path.dirname(file), m[1]!)
          if (/\/src\/(kube|istio|scaffold|doctor|canary|metrics|certs)(\/|$)/.test(target) || /\/plugins\//.test(target)) offenders.push(`${path.relative(repoRoot, file)} -> ${m[1]}`)
        }
      }
    }
  }
  walk(path.join(repoRoot, 'src', 'sandbox'))
  assert.deepEqual(offenders, [])
})
