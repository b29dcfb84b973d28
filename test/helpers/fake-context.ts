import {Config, type Command} from '@oclif/core'
import type {Clock, GwContext, Io} from '../../src/context.ts'
import {createEnvoyAdmin, type EnvoyAdmin} from '../../src/envoy/admin.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import {FakeKube} from './fake-kube.ts'
import {repoRoot} from './paths.ts'

export interface CapturedIo extends Io {
  out(): string
  err(): string
}

export function captureIo(options: {interactive?: boolean} = {}): CapturedIo {
  let stdout = ''
  let stderr = ''
  return {
    stdout: {write: (text) => void (stdout += text), isTTY: false},
    stderr: {write: (text) => void (stderr += text), isTTY: false},
    interactive: options.interactive ?? false,
    debug: () => undefined,
    out: () => stdout,
    err: () => stderr,
  }
}

/** A clock tests move by hand; sleep resolves when the clock is advanced past it. */
export class ManualClock implements Clock {
  private current: number
  private sleepers: {until: number; resolve: () => void}[] = []
  constructor(start = Date.UTC(2026, 10, 21, 12, 0, 0)) {
    this.current = start
  }
  now(): Date {
    return new Date(this.current)
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.sleepers.push({until: this.current + ms, resolve}))
  }
  advance(ms: number): void {
    this.current += ms
    const due = this.sleepers.filter((s) => s.until <= this.current)
    this.sleepers = this.sleepers.filter((s) => s.until > this.current)
    for (const sleeper of due) sleeper.resolve()
  }
}

export interface FakeContext<K extends KubeClient = FakeKube> extends GwContext {
  kube: K
  io: CapturedIo
}

/**
 * A GwContext over a fake (or any) KubeClient with captured output. The clock is a ManualClock,
 * at `now` when given; the namespace is `namespace`, else the kubeconfig context's.
 */
export function fakeContext<K extends KubeClient = FakeKube>(options: {kube?: K; envoy?: EnvoyAdmin; namespace?: string; clock?: Clock; now?: Date; io?: CapturedIo} = {}): FakeContext<K> {
  const kube = options.kube ?? (new FakeKube() as unknown as K)
  return {
    kube,
    envoy: options.envoy ?? createEnvoyAdmin(kube),
    clock: options.clock ?? new ManualClock(options.now?.getTime()),
    io: options.io ?? captureIo(),
    namespace: async () => options.namespace ?? (await kube.connection()).namespace,
  }
}

let configPromise: Promise<Config> | undefined

/** Runs an oclif command class in-process against a fake context; returns what a user would see. */
export async function runCommand<K extends KubeClient = FakeKube>(
  CommandClass: new (argv: string[], config: Config) => Command & {injectedContext?: GwContext; exitCode: number},
  argv: string[],
  ctx: FakeContext<K> = fakeContext<K>(),
): Promise<{stdout: string; stderr: string; exitCode: number; ctx: FakeContext<K>}> {
  configPromise ??= Config.load({root: repoRoot})
  const command = new CommandClass(argv, await configPromise)
  command.injectedContext = ctx
  // _run is oclif's full lifecycle (init, run, catch, finally), which a user's invocation goes through.
  await (command as unknown as {_run(): Promise<unknown>})._run()
  return {stdout: ctx.io.out(), stderr: ctx.io.err(), exitCode: command.exitCode, ctx}
}
