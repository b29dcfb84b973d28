import type {DoctorReport, ReportedFinding} from '../doctor/doctor.ts'
import type {RequestTrace, TraceSide} from '../doctor/trace.ts'
import {formatTable, type TableView} from './render.ts'

const cluster = '(cluster)'

function resourceText(f: ReportedFinding): string {
  return `${f.resource.kind}/${f.resource.namespace ? `${f.resource.namespace}/` : ''}${f.resource.name}`
}

/** The table: one block per Gateway (cluster-wide findings first), then each finding's hint, then what was skipped. */
export function doctorLines(report: DoctorReport, wide: boolean): string[] {
  const lines: string[] = []
  const groups = new Map<string, ReportedFinding[]>()
  for (const f of report.findings) {
    const group = f.gateway ?? cluster
    groups.set(group, [...(groups.get(group) ?? []), f])
  }
  const names = [...groups.keys()].sort((a, b) => (a === cluster ? -1 : b === cluster ? 1 : a.localeCompare(b)))
  for (const name of names) {
    const findings = groups.get(name) ?? []
    lines.push(name === cluster ? 'CLUSTER' : `GATEWAY ${name}`)
    const rows = findings.map((f) => [f.level, f.code, resourceText(f), f.message, ...(wide ? [f.istio ?? ''] : [])])
    lines.push(...formatTable(['level', 'code', 'resource', 'message', ...(wide ? ['istio'] : [])], rows).map((l) => `  ${l}`))
    lines.push('  fixes:')
    for (const [i, f] of findings.entries()) lines.push(`    ${i + 1}. ${f.hint}`)
    lines.push('')
  }
  const {errors, warnings, infos, checks} = report.summary
  if (report.findings.length === 0) lines.push('No problems found.')
  for (const s of report.skipped) lines.push(`skipped ${s.check}: ${s.reason}`)
  lines.push(`${errors} errors, ${warnings} warnings, ${infos} infos from ${checks} checks${report.skipped.length ? ` (${report.skipped.length} skipped)` : ''}`)
  return lines
}

function traceLines(trace: RequestTrace): string[] {
  const headers = Object.entries(trace.request.headers).map(([k, v]) => `${k}: ${v}`)
  const lines = [`TRACE ${trace.request.host}${trace.request.path}${headers.length ? ` (${headers.join(', ')})` : ''}`]
  const hops = (title: string, side: TraceSide) => {
    lines.push(`  ${title}:`)
    lines.push(...formatTable(['', 'step', 'detail'], side.hops.map((h) => [h.ok ? 'ok' : 'BROKEN', h.step, h.detail])).slice(1).map((l) => `    ${l}`))
  }
  if (trace.resources.hops.length > 0) hops('resources', trace.resources)
  if (trace.live) hops(`envoy on ${trace.live.pod}`, trace.live)
  if (trace.disagreement) lines.push(`  DISAGREE: ${trace.disagreement}`)
  else if (trace.live && trace.resources.hops.length > 0) lines.push('  resources and Envoy agree')
  lines.push('')
  return lines
}

export const doctorView: TableView<DoctorReport> = {
  hasWide: true,
  table: (report, {wide}) => {
    // The graph is for pasting into Mermaid: printed alone.
    if (report.graph) return report.graph.trimEnd().split('\n')
    return [...(report.trace ? traceLines(report.trace) : []), ...doctorLines(report, wide), ...(report.bundle ? [`bundle written to ${report.bundle}`] : [])]
  },
}
