import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before} from 'node:test'

/** A scratch directory made before the suite's tests and removed after them; call inside describe(). */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), prefix))
  })
  after(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })
  return () => {
    if (!dir) throw new Error('useTempDir: the directory exists only while the suite runs')
    return dir
  }
}
