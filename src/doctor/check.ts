/** The extension point of `doctor`: one module per check, listed in plugins/doctor-checks/index.ts. */
import type {Finding} from '../findings/catalog.ts'
import type {Snapshot, SnapshotKind} from '../snapshot/snapshot.ts'

export type CheckLayer = 'install' | 'config' | 'live'

export interface DoctorCheck {
  /** Stable, kebab-case; the registry is sorted by it. */
  id: string
  layer: CheckLayer
  description: string
  /** Every kind the check reads; when one is absent or forbidden the check is skipped with that reason. */
  inputs: readonly SnapshotKind[]
  run(snapshot: Snapshot): Finding[] | Promise<Finding[]>
}

export interface SkippedCheck {
  check: string
  reason: string
}

export interface CheckRun {
  findings: Finding[]
  skipped: SkippedCheck[]
  /** Checks that ran. */
  ran: number
}

/** Runs every check whose inputs are all readable; the others are skipped with the first reason. */
export async function runChecks(checks: readonly DoctorCheck[], snapshot: Snapshot): Promise<CheckRun> {
  const findings: Finding[] = []
  const skipped: SkippedCheck[] = []
  let ran = 0
  for (const check of checks) {
    const missing = check.inputs.map((kind) => ({kind, state: snapshot.state(kind)})).find((i) => i.state.status !== 'ok')
    if (missing && missing.state.status !== 'ok') {
      skipped.push({check: check.id, reason: `${missing.kind}: ${missing.state.reason}`})
      continue
    }
    try {
      findings.push(...(await check.run(snapshot)))
      ran++
    } catch (error) {
      // A bug in one check must not hide what the others found.
      skipped.push({check: check.id, reason: `check failed: ${(error as Error).message}`})
    }
  }
  return {findings, skipped, ran}
}
