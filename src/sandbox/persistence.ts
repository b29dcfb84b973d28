import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import type {StoredObject} from './mesh-contract.ts'
import type {ObjectStore} from './api/store.ts'

export interface SavedState {
  format: 1
  istioVersion: string
  world: string
  resourceVersion: number
  objects: {group: string; object: StoredObject}[]
}

/** Reads the state file; undefined when there is none. A corrupt file is an error naming it. */
export function readState(file: string): SavedState | undefined {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const state = JSON.parse(text) as SavedState
  if (state.format !== 1 || !Array.isArray(state.objects)) throw new Error(`${file} is not a kubectl-gw sandbox state file`)
  return state
}

/** Temp file + rename: a crash mid-write leaves the previous state, never a torn one. */
export function writeStateAtomically(file: string, state: SavedState): void {
  mkdirSync(path.dirname(file), {recursive: true})
  const temp = `${file}.${process.pid}.tmp`
  writeFileSync(temp, JSON.stringify(state), {mode: 0o600})
  renameSync(temp, file)
}

/** Saves the store at most every `delayMs` after a change, and once more on flush. */
export class StateWriter {
  private timer?: NodeJS.Timeout
  private dirty = false
  private readonly file: string
  private readonly store: ObjectStore
  private readonly meta: {istioVersion: string; world: string}
  private readonly delayMs: number
  private readonly onError: (error: unknown) => void

  constructor(file: string, store: ObjectStore, meta: {istioVersion: string; world: string}, options: {delayMs?: number; onError?: (error: unknown) => void} = {}) {
    this.file = file
    this.store = store
    this.meta = meta
    this.delayMs = options.delayMs ?? 250
    this.onError = options.onError ?? (() => undefined)
    store.onChange = () => this.changed()
  }

  private lastWriteMs = 0

  private changed(): void {
    this.dirty = true
    if (this.timer) return
    // A big store takes a while to serialise: space writes out so bulk loads are not slowed by them.
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.flush()
    }, Math.max(this.delayMs, this.lastWriteMs * 10))
    this.timer.unref()
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (!this.dirty) return
    this.dirty = false
    const started = performance.now()
    try {
      writeStateAtomically(this.file, {format: 1, ...this.meta, ...this.store.snapshot()})
      this.lastWriteMs = performance.now() - started
    } catch (error) {
      this.onError(error)
    }
  }
}
