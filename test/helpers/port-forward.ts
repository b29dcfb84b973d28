import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {kubectlBin} from './sandbox.ts'

export interface PortForward {
  /** Local port per remote port, as kubectl printed them ("Forwarding from 127.0.0.1:L -> R"). */
  local: Map<number, number>
  /** Everything kubectl wrote so far (stdout and stderr). */
  output(): string
  stop(): Promise<void>
}

/**
 * Runs real `kubectl port-forward TARGET :PORT...` (kubectl picks free local ports) and resolves
 * once it forwards every port.
 */
export function kubectlPortForward(kubeconfig: string, home: string, args: string[], options: {env?: Record<string, string>; ports: number} ): Promise<PortForward> {
  const child: ChildProcess = spawn(kubectlBin, ['port-forward', '--address', '127.0.0.1', ...args], {env: {PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig, ...options.env}})
  let text = ''
  const local = new Map<number, number>()
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return new Promise((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      text += chunk.toString()
      for (const m of text.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) local.set(Number(m[2]), Number(m[1]))
      if (local.size >= options.ports) {
        resolve({
          local,
          output: () => text,
          async stop() {
            child.kill('SIGTERM')
            await exited
          },
        })
      }
    }
    child.stdout!.on('data', onOutput)
    child.stderr!.on('data', onOutput)
    child.once('exit', (code) => reject(new Error(`kubectl port-forward exited (${code}) before forwarding: ${text}`)))
  })
}

export interface CurlResult {
  code: number
  stdout: string
  stderr: string
}

/** Real curl; never throws. */
export function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], {timeout: 20_000}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
    })
  })
}

/** Status, headers and body of `curl -i` output (the last response when curl followed none). */
export function parseCurlResponse(stdout: string): {status: number; headers: Record<string, string>; body: string} {
  const cut = stdout.indexOf('\r\n\r\n')
  const head = stdout.slice(0, cut)
  const [statusLine, ...lines] = head.split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return {status: Number(statusLine?.split(' ')[1]), headers, body: stdout.slice(cut + 4)}
}
