import {closeSync, fsyncSync, mkdirSync, openSync, readFileSync} from 'node:fs'
import {open, rename, type FileHandle} from 'node:fs/promises'
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

/** One line of the journal: a committed write, by resourceVersion. */
interface JournalEntry {
  rv: number
  group: string
  op: 'put' | 'delete'
  object: StoredObject
}

/** The state file or journal cannot be read back; names the file (the sandbox CLI answers exit 2 with --reset). */
export class SandboxStateCorrupt extends Error {
  readonly file: string
  constructor(file: string, reason: string) {
    super(`${file} is corrupt (${reason})`)
    this.file = file
  }
}

/** The journal of writes made after the state file: `state.json` -> `state.journal`. */
export function journalFileOf(stateFile: string): string {
  return stateFile.replace(/\.json$/, '') + '.journal'
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

function objectId(group: string, object: StoredObject): string {
  return `${group}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`
}

/**
 * The saved state: the last snapshot plus every journalled write after it; undefined when there is
 * none. A torn last journal line (a crash mid-append, never acknowledged) is dropped; anything else
 * unreadable is a SandboxStateCorrupt naming the file.
 */
export function readState(file: string): SavedState | undefined {
  const text = readText(file)
  const journalFile = journalFileOf(file)
  const journal = readText(journalFile)
  if (text === undefined && !journal) return undefined
  let state: SavedState | undefined
  if (text !== undefined) {
    try {
      state = JSON.parse(text) as SavedState
    } catch (error) {
      throw new SandboxStateCorrupt(file, (error as Error).message)
    }
    if (state?.format !== 1 || !Array.isArray(state.objects)) throw new SandboxStateCorrupt(file, 'not a kubectl-gw sandbox state file')
  }
  if (!journal) return state
  if (!state) throw new SandboxStateCorrupt(journalFile, `it has writes but ${file} is missing`)
  const lines = journal.split('\n')
  const entries: JournalEntry[] = []
  for (const [i, line] of lines.entries()) {
    if (line === '') continue
    try {
      entries.push(JSON.parse(line) as JournalEntry)
    } catch (error) {
      // Only the last line can be torn: it was being appended when the process died, and its write never got an answer.
      if (i === lines.length - 1) break
      throw new SandboxStateCorrupt(journalFile, `line ${i + 1}: ${(error as Error).message}`)
    }
  }
  const objects = new Map(state.objects.map((entry) => [objectId(entry.group, entry.object), entry]))
  let resourceVersion = state.resourceVersion
  for (const entry of entries) {
    // Entries the snapshot already holds (written again after a compaction) are skipped.
    if (entry.rv <= state.resourceVersion) continue
    if (entry.op === 'put') objects.set(objectId(entry.group, entry.object), {group: entry.group, object: entry.object})
    else objects.delete(objectId(entry.group, entry.object))
    resourceVersion = Math.max(resourceVersion, entry.rv)
  }
  return {...state, resourceVersion, objects: [...objects.values()]}
}

async function writeDurably(file: string, data: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`
  const handle = await open(temp, 'w', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, file)
  syncDirectory(path.dirname(file))
}

/** A rename is durable once its directory is synced. */
function syncDirectory(directory: string): void {
  const fd = openSync(directory, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

export interface StateWriterOptions {
  /** Compact the journal into the state file once it is this big and bigger than the state file (default 4 MiB). */
  compactBytes?: number
  onError?: (error: unknown) => void
}

/**
 * Keeps what the API server acknowledged: every write is appended to a journal and fsynced before
 * its answer (writes arriving together share one fsync), and the journal is compacted into the
 * state file (temp file, fsync, rename, directory fsync) when it grows. All file work runs on one
 * serial queue, so a compaction never races an append.
 */
export class StateWriter {
  private readonly file: string
  private readonly journalFile: string
  private readonly store: ObjectStore
  private readonly meta: {istioVersion: string; world: string}
  private readonly compactBytes: number
  private readonly onError: (error: unknown) => void
  private journal?: FileHandle
  private journalBytes = 0
  private stateBytes = 0
  private pending: string[] = []
  /** The end of the queue (never rejects). */
  private tail: Promise<void> = Promise.resolve()
  /** The batch that has not started yet: later writes join it. */
  private queued?: Promise<void>
  /** The last batch started: a write already taken from `pending` is in it. */
  private latest: Promise<void> = Promise.resolve()

  constructor(file: string, store: ObjectStore, meta: {istioVersion: string; world: string}, options: StateWriterOptions = {}) {
    this.file = file
    this.journalFile = journalFileOf(file)
    this.store = store
    this.meta = meta
    this.compactBytes = options.compactBytes ?? 4 * 1024 * 1024
    this.onError = options.onError ?? (() => undefined)
    mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
    store.onChange = (event) => {
      this.pending.push(`${JSON.stringify({rv: event.resourceVersion, group: event.group, op: event.type === 'DELETED' ? 'delete' : 'put', object: event.object} satisfies JournalEntry)}\n`)
      // Controllers' writes are kept too, though nobody waits for them.
      this.durable().catch(this.onError)
    }
    store.durability = () => this.durable()
  }

  /** Resolves once every write made so far is on disk. */
  durable(): Promise<void> {
    if (this.queued) return this.queued
    if (this.pending.length === 0) return this.latest
    return this.enqueue(() => this.appendPending())
  }

  /** Writes the whole store as the state file and empties the journal (at start, on close, and when it grows). */
  checkpoint(): Promise<void> {
    return this.enqueue(() => this.compact())
  }

  /** A last checkpoint, then the journal is closed. */
  async close(): Promise<void> {
    await this.checkpoint()
    await this.journal?.close()
    this.journal = undefined
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const batch = this.tail.then(() => {
      if (this.queued === batch) this.queued = undefined
      return work()
    })
    this.queued = batch
    this.latest = batch
    this.tail = batch.then(
      () => undefined,
      (error: unknown) => this.onError(error),
    )
    return batch
  }

  private async openJournal(): Promise<FileHandle> {
    if (!this.journal) {
      this.journal = await open(this.journalFile, 'a', 0o600)
      this.journalBytes = (await this.journal.stat()).size
    }
    return this.journal
  }

  private async appendPending(): Promise<void> {
    const lines = this.pending
    this.pending = []
    if (lines.length === 0) return
    const journal = await this.openJournal()
    const data = lines.join('')
    await journal.appendFile(data)
    await journal.datasync()
    this.journalBytes += Buffer.byteLength(data)
    if (this.journalBytes > Math.max(this.compactBytes, this.stateBytes)) await this.compact()
  }

  private async compact(): Promise<void> {
    // Taken at once: it holds every write so far, including ones still pending (their journal lines are skipped on read).
    const text = JSON.stringify({format: 1, ...this.meta, ...this.store.snapshot()} satisfies SavedState)
    await writeDurably(this.file, text)
    this.stateBytes = Buffer.byteLength(text)
    const journal = await this.openJournal()
    await journal.truncate(0)
    await journal.datasync()
    this.journalBytes = 0
  }
}
