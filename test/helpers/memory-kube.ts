import {Config} from '@oclif/core'
import type {Clock, GwContext, OutputStream} from '../../src/context.ts'
import {ExitCode} from '../../src/errors.ts'
import {KubeApiError} from '../../src/kube/api-errors.ts'
import {HttpKubeClient, type ApiDiscovery, type KubeClient, type KubeObject, type ObjectRef, type UpdateOptions} from '../../src/kube/client.ts'
import type {ClusterConnection} from '../../src/kube/kubeconfig.ts'
import {repoRoot} from './paths.ts'

export interface RecordedCall {
  verb: 'get' | 'list' | 'create' | 'replace' | 'update' | 'apply' | 'patch' | 'delete'
  ref: {kind: string; namespace?: string; name?: string}
  /** The object sent on writes (as sent, resourceVersion included). */
  body?: KubeObject
  dryRun?: boolean
}

function notSupported(what: string): never {
  throw new Error(`memory kube: ${what} is not implemented in this fake`)
}

/**
 * An in-memory KubeClient with real API semantics where tests need them: 404 -> undefined on get,
 * 409 AlreadyExists on create, resourceVersion-guarded replace (409 on a stale version), dry runs
 * that store nothing. Every call is recorded so tests can assert what was sent.
 */
export class MemoryKube implements KubeClient {
  readonly objects = new Map<string, KubeObject>()
  readonly calls: RecordedCall[] = []
  private version = 100
  servedGroups: ApiDiscovery['groups'] = [
    {name: '', versions: ['v1'], preferredVersion: 'v1'},
    {name: 'networking.istio.io', versions: ['v1', 'v1beta1'], preferredVersion: 'v1'},
  ]

  constructor(objects: KubeObject[] = []) {
    for (const object of objects) this.seed(object)
  }

  private static key(kind: string, namespace: string | undefined, name: string | undefined): string {
    return `${kind}/${namespace ?? ''}/${name ?? ''}`
  }

  seed(object: KubeObject): void {
    const copy = structuredClone(object)
    copy.metadata.resourceVersion = String(++this.version)
    this.objects.set(MemoryKube.key(copy.kind, copy.metadata.namespace, copy.metadata.name), copy)
  }

  find<T extends KubeObject = KubeObject>(kind: string, namespace: string, name: string): T | undefined {
    return this.objects.get(MemoryKube.key(kind, namespace, name)) as T | undefined
  }

  writes(): RecordedCall[] {
    return this.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list')
  }

  async connection(): Promise<ClusterConnection> {
    return notSupported('connection')
  }
  async serverVersion() {
    return {major: '1', minor: '33', gitVersion: 'v1.33.0'}
  }
  async discovery(): Promise<ApiDiscovery> {
    return {groups: this.servedGroups}
  }
  async resourceFor() {
    return undefined
  }
  async get<T extends KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    this.calls.push({verb: 'get', ref: {kind: ref.kind, namespace: ref.namespace, name: ref.name}})
    const found = this.objects.get(MemoryKube.key(ref.kind, ref.namespace, ref.name))
    return found ? (structuredClone(found) as T) : undefined
  }
  async list<T extends KubeObject>(apiVersion: string, kind: string, options: {namespace?: string; labelSelector?: string} = {}): Promise<T[]> {
    this.calls.push({verb: 'list', ref: {kind, namespace: options.namespace}})
    const wanted = (options.labelSelector ?? '').split(',').filter(Boolean).map((p) => p.split('='))
    return [...this.objects.values()]
      .filter((o) => o.kind === kind && (!options.namespace || o.metadata.namespace === options.namespace))
      .filter((o) => wanted.every(([k, v]) => o.metadata.labels?.[k as string] === v))
      .map((o) => ({...structuredClone(o), apiVersion}) as T)
  }
  async create<T extends KubeObject>(object: T, options: {dryRun?: boolean} = {}): Promise<T> {
    this.calls.push({verb: 'create', ref: this.refOf(object), body: structuredClone(object), dryRun: options.dryRun})
    const key = MemoryKube.key(object.kind, object.metadata.namespace, object.metadata.name)
    if (this.objects.has(key)) throw this.conflict(object, 'AlreadyExists')
    const stored = {...structuredClone(object), metadata: {...structuredClone(object.metadata), resourceVersion: String(++this.version)}}
    if (!options.dryRun) this.objects.set(key, stored)
    return structuredClone(stored)
  }
  async replace<T extends KubeObject>(object: T, options: {dryRun?: boolean} = {}): Promise<T> {
    this.calls.push({verb: 'replace', ref: this.refOf(object), body: structuredClone(object), dryRun: options.dryRun})
    const key = MemoryKube.key(object.kind, object.metadata.namespace, object.metadata.name)
    const current = this.objects.get(key)
    if (!current) throw new KubeApiError(`${object.kind} "${object.metadata.name}" not found`, ExitCode.usage, 404, 'NotFound', [], {verb: 'update', resource: 'secrets'})
    if (object.metadata.resourceVersion !== current.metadata.resourceVersion) throw this.conflict(object, 'Conflict')
    const stored = {...structuredClone(object), metadata: {...structuredClone(object.metadata), resourceVersion: String(++this.version)}}
    if (!options.dryRun) this.objects.set(key, stored)
    return structuredClone(stored)
  }
  async update<T extends KubeObject>(ref: ObjectRef, mutate: (current: T) => T | undefined | Promise<T | undefined>, options: UpdateOptions = {}): Promise<T> {
    this.calls.push({verb: 'update', ref: {kind: ref.kind, namespace: ref.namespace, name: ref.name}})
    if (!this.objects.has(MemoryKube.key(ref.kind, ref.namespace, ref.name))) {
      throw new KubeApiError(`${ref.kind} "${ref.name}" not found`, ExitCode.usage, 404, 'NotFound', [], {verb: 'update', resource: 'secrets'})
    }
    // The real read-mutate-write loop (409 retry included), over this fake's get and replace.
    return (HttpKubeClient.prototype.update<T>).call(this as unknown as HttpKubeClient, ref, mutate, options)
  }
  async apply<T extends KubeObject>(): Promise<T> {
    return notSupported('apply')
  }
  async patch<T extends KubeObject>(): Promise<T> {
    return notSupported('patch')
  }
  async delete(ref: ObjectRef): Promise<boolean> {
    this.calls.push({verb: 'delete', ref: {kind: ref.kind, namespace: ref.namespace, name: ref.name}})
    return this.objects.delete(MemoryKube.key(ref.kind, ref.namespace, ref.name))
  }
  async getRaw(): Promise<Buffer> {
    return notSupported('getRaw')
  }
  close(): void {}

  private refOf(object: KubeObject) {
    return {kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name}
  }

  private conflict(object: KubeObject, reason: string): KubeApiError {
    return new KubeApiError(`Operation cannot be fulfilled on ${object.kind} "${object.metadata.name}": ${reason}`, ExitCode.jobFailed, 409, reason, [], {
      verb: 'update',
      resource: 'secrets',
      namespace: object.metadata.namespace,
      name: object.metadata.name,
    })
  }
}

export class CapturedStream implements OutputStream {
  text = ''
  readonly isTTY = false
  write(text: string): void {
    this.text += text
  }
}

export function fixedClock(now: Date): Clock {
  return {now: () => new Date(now), sleep: async () => undefined}
}

export interface FakeContext extends GwContext {
  kube: MemoryKube
  stdout: CapturedStream
  stderr: CapturedStream
}

export function fakeContext(kube: MemoryKube = new MemoryKube(), options: {now?: Date; namespace?: string} = {}): FakeContext {
  const stdout = new CapturedStream()
  const stderr = new CapturedStream()
  return {
    kube,
    clock: options.now ? fixedClock(options.now) : {now: () => new Date(), sleep: async () => undefined},
    io: {stdout, stderr, interactive: false, debug: () => undefined},
    namespace: async () => options.namespace ?? 'default',
    stdout,
    stderr,
  }
}

/** A gateway pod as the demo world has it: `istio: ingressgateway` in istio-system. */
export function gatewayPod(namespace = 'istio-system', name = 'istio-ingressgateway-abc12', labels: Record<string, string> = {istio: 'ingressgateway', app: 'istio-ingressgateway'}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {name, namespace, labels},
    status: {phase: 'Running', podIP: '10.0.0.7', conditions: [{type: 'Ready', status: 'True'}]},
  }
}

let config: Promise<Config> | undefined

type Runnable = {injectedContext?: GwContext; exitCode: number}

/** Runs a command class the way oclif would (init, run, catch, finally), against a fake context. */
export async function runCommand<C extends Runnable>(Cmd: new (argv: string[], config: Config) => C, argv: string[], ctx: GwContext): Promise<C> {
  config ??= Config.load({root: repoRoot})
  const cmd = new Cmd(argv, await config)
  cmd.injectedContext = ctx
  await (cmd as unknown as {_run(): Promise<unknown>})._run()
  return cmd
}
