import type {CanaryEvent, CanaryResult, CanaryStatus} from '../canary/run.ts'
import type {CanaryPlanView} from '../canary/plan.ts'
import type {GateResult, StageRecord} from '../canary/model.ts'
import type {Clock, Io} from '../context.ts'
import {formatDuration} from '../duration.ts'
import type {OutputFormat, TableView} from './render.ts'
import {formatTable} from './render.ts'

/**
 * How a canary run looks: a listr2 task list on a terminal (a task per stage: weights, gate values
 * against their bounds, the countdown), plain lines without one, and `-o json` as one JSON event per
 * line on stdout for pipelines; then a summary with charts of success rate and p99 per step.
 */

export interface CanaryReporter {
  event(event: CanaryEvent): void
  /** Waits for the live view to settle. */
  close(): Promise<void>
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits
const clockText = (iso: string) => iso.slice(11, 19)

function gateValue(g: GateResult): string {
  if (g.value === undefined) return ''
  if (g.gate === 'requests') return String(g.value)
  if (g.gate === 'success-rate') return `${round(g.value)}%`
  if (g.gate === 'max-latency') return `${round(g.value, 1)}ms`
  if (g.gate === 'p99-vs-stable') return `x${round(g.value)}`
  if (g.gate === 'error-rate-vs-stable') return `p=${g.value.toPrecision(2)}`
  return String(round(g.value, 4))
}

const mark = {pass: 'ok', fail: 'FAIL', 'no-data': 'no-data', error: 'ERROR'} as const

/** One gate on one line: name, value against bound, verdict, and both sides where there are two. */
export function gateLine(g: GateResult): string {
  const value = gateValue(g)
  const sides = g.canary !== undefined && g.stable !== undefined && g.gate !== 'requests' ? ` [canary ${round(g.canary, 3)} / stable ${round(g.stable, 3)}]` : ''
  return `${g.gate}${value ? ` ${value}` : ''}${g.bound ? ` (${g.bound})` : ''} ${mark[g.verdict]}${sides}${g.verdict !== 'pass' ? `: ${g.detail}` : ''}`
}

function plainLine(event: CanaryEvent): string[] {
  const at = clockText(event.at)
  switch (event.type) {
    case 'started':
    case 'resumed':
      return [`${at} ${event.type} canary on ${event.target.kind} ${event.target.namespace}/${event.target.name}; stages ${event.stages.join(', ')}; metrics from ${event.provider}`]
    case 'weights':
      return [`${at} ${event.label}: weights stable ${event.weights.stable} / canary ${event.weights.canary}${event.headerRoute ? ' + header route' : ''}`]
    case 'waiting':
      return [`${at}   waiting until ${clockText(event.until)}`]
    case 'look':
      return [`${at}   ${event.verdict}: ${event.evaluation.gates.map(gateLine).join('; ')}`]
    case 'phase':
      return [`${at} ${event.phase}: ${event.message}`]
  }
}

interface Deferred {
  promise: Promise<void>
  resolve(): void
  reject(error: Error): void
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (error: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => undefined)
  return {promise, resolve, reject}
}

/** The live task list: one task per stage, resolved as the run moves on. */
async function listrReporter(io: Io, clock: Clock): Promise<CanaryReporter> {
  const {Listr, ListrLogger, ProcessOutput} = await import('listr2')
  const stderr = io.stderr.raw as NodeJS.WriteStream
  let stages: {title: string; done: Deferred; task?: {title: string; output: string}}[] = []
  let running: Promise<unknown> | undefined
  let countdown: NodeJS.Timeout | undefined
  let current = -1
  let lastGates = ''
  const stopCountdown = () => {
    if (countdown) clearInterval(countdown)
    countdown = undefined
  }
  const start = (titles: string[]) => {
    stages = titles.map((title) => ({title, done: deferred()}))
    const list = new Listr(
      stages.map((stage) => ({
        title: stage.title,
        task: async (_: unknown, task: {title: string; output: string}) => {
          stage.task = task
          await stage.done.promise
        },
      })),
      {concurrent: false, exitOnError: true, registerSignalListeners: false, rendererOptions: {collapseSubtasks: false, logger: new ListrLogger({processOutput: new ProcessOutput(stderr, stderr)})}},
    )
    running = list.run().catch(() => undefined)
  }
  const finishAll = (error?: Error) => {
    stopCountdown()
    stages.forEach((s, i) => {
      if (i < current || (!error && i === current)) s.done.resolve()
      else if (i === current && error) s.done.reject(error)
      else s.done.reject(new Error('not run'))
    })
  }
  return {
    event(event) {
      switch (event.type) {
        case 'started':
        case 'resumed':
          start(event.stages.map((s, i) => `stage ${i + 1}: ${s}`))
          return
        case 'weights': {
          if (event.stage > current) {
            for (let i = Math.max(0, current); i < event.stage; i++) stages[i]?.done.resolve()
            current = event.stage
          }
          const stage = stages[current]
          if (stage?.task) stage.task.title = `${stage.title}: stable ${event.weights.stable} / canary ${event.weights.canary}${event.headerRoute ? ' + header route' : ''}`
          return
        }
        case 'waiting': {
          current = Math.max(current, event.stage)
          stopCountdown()
          const until = Date.parse(event.until)
          const tick = () => {
            const task = stages[current]?.task
            if (task) task.output = `${lastGates ? `${lastGates}\n` : ''}next look in ${formatDuration(Math.max(0, until - clock.now().getTime()))}`
          }
          tick()
          countdown = setInterval(tick, 1000)
          countdown.unref()
          return
        }
        case 'look':
          lastGates = `${event.verdict}: ${event.evaluation.gates.map(gateLine).join('; ')}`
          stopCountdown()
          if (stages[current]?.task) stages[current]!.task!.output = lastGates
          return
        case 'phase':
          if (event.phase === 'Succeeded') finishAll()
          else if (event.phase === 'RolledBack' || event.phase === 'Failed' || event.phase === 'Paused') finishAll(new Error(`${event.phase}: ${event.message}`))
          return
      }
    },
    async close() {
      stopCountdown()
      if (current < 0) stages.forEach((s) => s.done.reject(new Error('not run')))
      await running
    },
  }
}

export async function createCanaryReporter(io: Io, clock: Clock, format: OutputFormat): Promise<CanaryReporter> {
  if (format === 'json') {
    return {event: (event) => io.stdout.write(`${JSON.stringify(event)}\n`), close: async () => undefined}
  }
  if (io.interactive && io.stderr.raw) return listrReporter(io, clock)
  return {event: (event) => plainLine(event).forEach((line) => io.stderr.write(`${line}\n`)), close: async () => undefined}
}

/**
 * A chart per metric over the judged looks. With colour the two sides share one chart (canary yellow,
 * stable blue); without it they would be indistinguishable, so each side gets its own.
 */
async function charts(title: string, stages: StageRecord[], pick: (s: StageRecord, side: 'canary' | 'stable') => number | undefined, colour: boolean): Promise<string[]> {
  const series = (side: 'canary' | 'stable') => stages.flatMap((s, i) => {
    const v = pick(s, side)
    return v === undefined || !Number.isFinite(v) ? [] : [[i + 1, v] as [number, number]]
  })
  const sides = (['canary', 'stable'] as const).map((side) => ({side, points: series(side)})).filter((s) => s.points.length > 0)
  if (sides.length === 0) return [`${title}: no data`]
  const {plot} = await import('simple-ascii-chart')
  const width = Math.max(20, Math.min(60, stages.length * 8))
  // One scale for both sides, so that separate charts still compare at a glance.
  const ys = sides.flatMap((s) => s.points.map((p) => p[1]))
  const yRange: [number, number] = [Math.min(...ys), Math.max(...ys) === Math.min(...ys) ? Math.min(...ys) + 1 : Math.max(...ys)]
  const draw = (heading: string, lines: [number, number][][], names: string[], colours?: ('ansiYellow' | 'ansiBlue')[]) =>
    plot(lines.length === 1 ? lines[0]! : lines, {title: heading, width, height: 5, yRange, legend: {position: 'bottom', series: names}, formatter: (v) => round(v, 2), ...(colours ? {color: colours} : {})})
      .split('\n')
      .map((l) => l.trimEnd())
  if (colour) return draw(title, sides.map((s) => s.points), sides.map((s) => s.side), sides.map((s) => (s.side === 'canary' ? 'ansiYellow' : 'ansiBlue')))
  return sides.flatMap((s) => draw(`${title}: ${s.side}`, [s.points], [s.side]))
}

/** The human summary: outcome, a table per look with both sides, and the two charts. */
export async function summaryLines(result: CanaryResult, options: {colour?: boolean} = {}): Promise<string[]> {
  const looks = result.stages
  const table = formatTable(
    ['look', 'stage', 'weights', 'verdict', 'canary req', 'canary ok%', 'canary p99', 'stable req', 'stable ok%', 'stable p99', 'p-value'],
    looks.map((s, i) => {
      const p = s.gates.find((g) => g.gate === 'error-rate-vs-stable')?.pValue
      const n = (v: number | undefined, d = 2) => (v === undefined ? '-' : String(round(v, d)))
      return [i + 1, s.label, `${s.weights.stable}/${s.weights.canary}`, s.verdict, n(s.canary?.requests, 0), n(s.canary?.successRate), n(s.canary?.p99Ms, 1), n(s.stable?.requests, 0), n(s.stable?.successRate), n(s.stable?.p99Ms, 1), p === undefined ? '-' : p.toPrecision(2)]
    }),
  )
  const judged = looks.filter((s) => s.canary?.requests)
  return [
    `${result.phase}: ${result.message}`,
    `weights now: stable ${result.weights.stable} / canary ${result.weights.canary}; failed checks ${result.failedChecks}; API writes ${result.writes}`,
    ...(looks.length > 0 ? ['', ...table] : []),
    ...(judged.length > 0
      ? ['', ...(await charts('success rate % per look', judged, (s, side) => s[side]?.successRate, options.colour ?? false)), '', ...(await charts('p99 ms per look', judged, (s, side) => s[side]?.p99Ms, options.colour ?? false))]
      : []),
  ]
}

export const planView: TableView<CanaryPlanView> = {
  table: (p) => [
    `canary plan for ${p.target.kind} ${p.target.namespace}/${p.target.name} (${p.target.apiVersion}), route ${p.route}: ${p.split} split, stable "${p.stable}", canary "${p.canary}"; weights now stable ${p.weightsNow.stable} / canary ${p.weightsNow.canary}`,
    `metrics: ${p.provider}`,
    '',
    ...formatTable(['stage', 'what', 'stable', 'canary'], p.stages.map((s) => [s.stage, s.label, s.weights.stable, s.weights.canary])),
    '',
    'gates:',
    ...p.gates.map((g) => `  ${g}`),
    '',
    'queries:',
    ...p.queries.map((q) => `  ${q.name}: ${q.query}`),
    ...p.warnings.map((w) => `warning: ${w}`),
    '(dry run: nothing was written)',
  ],
}

export const statusView: TableView<CanaryStatus> = {
  table: (s) => {
    const where = `${s.target.kind} ${s.target.namespace}/${s.target.name}`
    if (!s.record) return [`no canary run recorded on ${where}`]
    const {spec, state, lock} = s.record
    const last = state.history.at(-1)
    return [
      `${where}: ${state.phase} - ${state.message}`,
      `route ${spec.route ?? `${spec.stable} + ${spec.canary}`} (${spec.split} split): stable "${spec.stable}", canary "${spec.canary}"`,
      `weights: recorded stable ${state.weights.stable} / canary ${state.weights.canary}; live ${s.liveWeights ? `stable ${s.liveWeights.stable} / canary ${s.liveWeights.canary}` : 'route not found'}; restore stable ${state.restore.stable} / canary ${state.restore.canary}`,
      `stage ${state.stage + 1} of ${spec.steps.length + (spec.header ? 1 : 0)} (steps ${spec.steps.join(', ')}${spec.header ? `, header ${spec.header.name}=${spec.header.value} first` : ''}); failed checks ${state.failedChecks}/${spec.threshold}; interval ${formatDuration(spec.intervalMs)}; provider ${spec.provider}`,
      lock ? `lock: ${lock.holder} until ${lock.expiresAt}${s.lockedBy ? ' (held)' : ' (stale)'}` : 'lock: none',
      ...(last ? [`last look (${last.label}): ${last.verdict}`, ...last.gates.map((g) => `  ${gateLine(g)}`)] : []),
    ]
  },
}

export const commandResultView: TableView<CanaryResult> = {
  table: (r) => [`${r.target.kind} ${r.target.namespace}/${r.target.name}: ${r.phase} - ${r.message}`, `weights: stable ${r.weights.stable} / canary ${r.weights.canary}`],
}
