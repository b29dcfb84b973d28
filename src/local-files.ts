import {constants} from 'node:fs'
import {access, open, stat} from 'node:fs/promises'
import path from 'node:path'
import {UsageError} from './errors.ts'

/**
 * Checks, before anything is written anywhere, that files can be written into `dir` (created if
 * missing): it is a writable folder, or its nearest existing parent is. Usage errors name the flag.
 */
export async function checkOutDir(dir: string, flag = '--out-dir'): Promise<void> {
  let probe = path.resolve(dir)
  for (;;) {
    let info
    try {
      info = await stat(probe)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' && path.dirname(probe) !== probe) {
        probe = path.dirname(probe)
        continue
      }
      if (code === 'ENOTDIR') throw new UsageError(`${flag} ${dir}: a part of the path is a file, not a folder`, {hint: 'choose a folder path'})
      throw new UsageError(`${flag} ${dir}: cannot be used (${code ?? (error as Error).message})`, {hint: 'choose another folder'})
    }
    if (!info.isDirectory()) {
      throw new UsageError(probe === path.resolve(dir) ? `${flag} ${dir}: exists and is not a folder` : `${flag} ${dir}: ${probe} is a file, not a folder`, {hint: 'choose a folder path'})
    }
    try {
      await access(probe, constants.W_OK | constants.X_OK)
    } catch {
      throw new UsageError(`${flag} ${dir}: ${probe === path.resolve(dir) ? 'the folder is' : `${probe} is`} not writable`, {hint: 'choose a folder you can write to'})
    }
    return
  }
}

/** Spec files, PEM files: a few KiB. Anything past this is a mistake (or /dev/urandom), not input. */
export const maxInputFileBytes = 1024 * 1024

/**
 * Reads a text input file named by a flag, up to `limit` bytes: a bigger or endless file (a
 * device, a pipe) is a usage error after at most `limit` bytes were read, not a hang.
 */
export async function readInputFile(file: string, flag: string, limit = maxInputFileBytes): Promise<string> {
  const handle = await open(file, 'r')
  try {
    const buffer = Buffer.alloc(limit + 1)
    let length = 0
    while (length <= limit) {
      const {bytesRead} = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > limit) throw new UsageError(`${flag} ${file}: larger than ${limit / 1024 / 1024} MiB, which no spec or PEM file is`, {hint: 'check the path'})
    return buffer.subarray(0, length).toString('utf8')
  } finally {
    await handle.close()
  }
}
