import {createHash} from 'node:crypto'
import {realpathSync, rmSync} from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {ensurePrivateDir} from './private-files.ts'

/**
 * The lock a running sandbox holds on its state folder: a listening local socket. The kernel gives
 * it to one process only and takes it back the moment that process dies (kill -9 included), so it
 * is the proof that a sandbox runs, and the channel to stop it: no PID from a file is ever signalled.
 */

/** What the lock holder says about itself to whoever connects. */
export interface LockHolder {
  pid: number
  stateDir: string
}

export class SandboxLocked extends Error {
  readonly holder?: LockHolder
  constructor(stateDir: string, holder?: LockHolder) {
    super(`a sandbox already runs from ${stateDir}${holder ? ` (pid ${holder.pid})` : ''}`)
    this.holder = holder
  }
}

/**
 * Named after the folder: on Linux an abstract socket and on Windows a named pipe (no file to go
 * stale); elsewhere a socket file in the folder.
 */
export function lockAddress(stateDir: string): string {
  ensurePrivateDir(stateDir)
  const real = realpathSync(stateDir)
  const name = `kubectl-gw-sandbox-${createHash('sha256').update(real).digest('hex').slice(0, 40)}`
  if (process.platform === 'linux') return `\0${name}`
  if (process.platform === 'win32') return `\\\\.\\pipe\\${name}`
  return path.join(real, 'sandbox.sock')
}

export interface HeldLock {
  /** Called when `sandbox down` asks this sandbox to stop. */
  onStopRequest(handler: () => void): void
  release(): Promise<void>
}

function listen(server: net.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(address, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** Takes the folder's lock, or throws SandboxLocked naming the sandbox that holds it. */
export async function acquireLock(stateDir: string): Promise<HeldLock> {
  const address = lockAddress(stateDir)
  const stopHandlers: (() => void)[] = []
  const sockets = new Set<net.Socket>()
  const hello: LockHolder = {pid: process.pid, stateDir}
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => undefined)
    socket.write(`${JSON.stringify(hello)}\n`)
    socket.setEncoding('utf8')
    socket.on('data', (text: string) => {
      if (text.includes('stop')) for (const handler of stopHandlers) handler()
    })
  })
  try {
    await listen(server, address)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    const holder = await probeLock(stateDir)
    if (holder || !path.isAbsolute(address) || address.startsWith('\\\\')) throw new SandboxLocked(stateDir, holder)
    // A socket file left by a dead process (only where the lock is a file).
    rmSync(address, {force: true})
    await listen(server, address).catch((again: NodeJS.ErrnoException) => {
      throw again.code === 'EADDRINUSE' ? new SandboxLocked(stateDir) : again
    })
  }
  server.unref()
  return {
    onStopRequest: (handler) => void stopHandlers.push(handler),
    async release() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A connection to the lock holder: its hello, and a way to ask it to stop and wait until it has gone. */
interface LockSession {
  holder: LockHolder
  socket: net.Socket
  closed: Promise<void>
}

function connect(stateDir: string, timeoutMs: number): Promise<LockSession | undefined> {
  const address = lockAddress(stateDir)
  return new Promise((resolve) => {
    const socket = net.connect(address)
    const closed = new Promise<void>((done) => socket.once('close', () => done()))
    let buffered = ''
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(undefined)
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('error', () => {
      clearTimeout(timer)
      resolve(undefined)
    })
    socket.on('data', (text: string) => {
      buffered += text
      const newline = buffered.indexOf('\n')
      if (newline < 0) return
      clearTimeout(timer)
      try {
        resolve({holder: JSON.parse(buffered.slice(0, newline)) as LockHolder, socket, closed})
      } catch {
        socket.destroy()
        resolve(undefined)
      }
    })
  })
}

/** Who holds the folder's lock (a running sandbox), or undefined when nobody does. */
export async function probeLock(stateDir: string, timeoutMs = 2000): Promise<LockHolder | undefined> {
  const session = await connect(stateDir, timeoutMs)
  session?.socket.destroy()
  return session?.holder
}

/** Asks the lock holder to stop and resolves once it has released the lock; false when nobody held it. */
export async function requestStop(stateDir: string, timeoutMs: number): Promise<{holder?: LockHolder; stopped: boolean}> {
  const session = await connect(stateDir, Math.min(timeoutMs, 2000))
  if (!session) return {stopped: false}
  session.socket.write('stop\n')
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))
  const outcome = await Promise.race([session.closed, timedOut])
  clearTimeout(timer)
  session.socket.destroy()
  return {holder: session.holder, stopped: outcome !== 'timeout'}
}
