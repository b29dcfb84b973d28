import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {doctorChecks} from '../../../plugins/doctor-checks/index.ts'
import {runChecks} from '../../../src/doctor/check.ts'
import {findingCatalog} from '../../../src/findings/catalog.ts'
import type {Snapshot, SnapshotKind} from '../../../src/snapshot/snapshot.ts'
import {allCases, loadCase} from '../../helpers/doctor-fixtures.ts'
import {repoRoot} from '../../helpers/paths.ts'

const cases = allCases()

describe('doctor checks on YAML fixtures (test/fixtures/doctor/cases): exactly the expected codes', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.expect.join(', ') || 'no findings'}`, async () => {
      const run = await runChecks(doctorChecks, c.snapshot)
      assert.deepEqual(run.skipped, [], 'no check is skipped when every kind is readable')
      const codes = [...new Set(run.findings.map((f) => f.code))].sort()
      assert.deepEqual(codes, c.expect, JSON.stringify(run.findings, null, 2))
      for (const f of run.findings) {
        assert.ok(f.message.length > 0 && !f.message.includes('\n'), 'one-line message')
        assert.match(f.hint, /^(kubectl|istioctl) /, `hint of ${f.code} is a command: ${f.hint}`)
      }
    })
  }

  it('every config and install code of the catalog is produced by some fixture', () => {
    const produced = new Set(cases.flatMap((c) => c.expect))
    const staticCodes = Object.keys(findingCatalog).filter((code) => !code.startsWith('Envoy') && code !== 'CertificateChainUnverified')
    assert.deepEqual(staticCodes.filter((code) => !produced.has(code)), [])
  })

  it('a check whose input kind is forbidden or absent is skipped with the reason, the others still run', async () => {
    const healthy = loadCase(path.join(repoRoot, 'test/fixtures/doctor/cases/gateway-selector-no-match.yaml'))
    const {snapshotFromObjects} = await import('../../../src/snapshot/snapshot.ts')
    const snapshot = snapshotFromObjects(healthy.objects, {now: new Date(), forbidden: ['Pod'], absent: ['KubernetesGateway']})
    const run = await runChecks(doctorChecks, snapshot)
    const skipped = Object.fromEntries(run.skipped.map((s) => [s.check, s.reason]))
    assert.match(skipped['gateway-selector'] ?? '', /^Pod: forbidden/)
    assert.match(skipped['gateway-api-routes'] ?? '', /^KubernetesGateway: KubernetesGateway is not served/)
    assert.ok(!('virtualservice-routes' in skipped))
    assert.ok(run.ran > 0 && run.ran + run.skipped.length === doctorChecks.length)
    assert.ok(!run.findings.some((f) => f.code === 'GatewaySelectorNoMatch'), 'a skipped check reports nothing')
  })
})

describe('doctor check registry (meta)', () => {
  it('every file in plugins/doctor-checks is registered once, the registry is sorted and ids are unique file names', async () => {
    const dir = path.join(repoRoot, 'plugins', 'doctor-checks')
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.replace(/\.ts$/, '')).sort()
    const ids = doctorChecks.map((c) => c.id)
    assert.deepEqual(ids, [...ids].sort(), 'sorted by id')
    assert.equal(new Set(ids).size, ids.length, 'ids unique')
    assert.deepEqual([...ids].sort(), files, 'one check per file, named by its id')
    for (const file of files) {
      const module = (await import(path.join(dir, `${file}.ts`))) as Record<string, unknown>
      const exported = Object.values(module).filter((v) => doctorChecks.includes(v as never))
      assert.equal(exported.length, 1, `${file}.ts exports its registered check`)
      assert.equal((exported[0] as {id: string}).id, file)
    }
  })

  it("each check's declared inputs are exactly the kinds it reads", async () => {
    // Read every check against worlds where each has something to look at, recording the kinds read.
    const worlds = cases.map((c) => c.snapshot)
    for (const check of doctorChecks) {
      const read = new Set<SnapshotKind>()
      for (const world of worlds) {
        const recorder: Snapshot = {
          now: world.now,
          istioVersion: world.istioVersion,
          state: (kind) => world.state(kind),
          items: (kind) => {
            read.add(kind)
            return world.items(kind)
          },
        }
        await check.run(recorder)
      }
      assert.deepEqual([...read].sort(), [...check.inputs].sort(), check.id)
    }
  })

  it('the catalog has every code of the DESIGN.md table, with its level and istioctl code', () => {
    const design = readFileSync(path.join(repoRoot, '..', 'shared', 'DESIGN.md'), 'utf8')
    const table = design.slice(design.indexOf('| code | level | istio |'), design.indexOf('JSON shape:'))
    const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| code') && !l.startsWith('|---'))
    assert.ok(rows.length > 20)
    for (const row of rows) {
      const [codes, level, istio] = row.split('|').slice(1, 4).map((s) => s.trim()) as [string, string, string]
      for (const code of codes.split(',').map((c) => c.trim())) {
        const entry = findingCatalog[code as keyof typeof findingCatalog] as {level: string; istio?: string} | undefined
        assert.ok(entry, `${code} in the catalog`)
        assert.equal(entry.level, level, code)
        assert.equal(entry.istio ?? '', istio, code)
      }
    }
  })
})
