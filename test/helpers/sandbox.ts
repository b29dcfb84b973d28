import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {MeshFactory} from '../../src/sandbox/mesh-contract.ts'
import {sandboxKubeconfig, startSandbox, type RunningSandbox} from '../../src/sandbox/sandbox.ts'
import type {WorldName} from '../../src/sandbox/world/demo.ts'

export const kubectlBin = process.env.KUBECTL ?? '/usr/bin/kubectl'

export interface TestSandbox {
  sandbox: RunningSandbox
  dir: string
  kubeconfig: string
  /** Runs real kubectl against the sandbox; never throws, returns what it printed and its exit code. */
  kubectl(args: string[], input?: string): Promise<{code: number; stdout: string; stderr: string}>
  close(): Promise<void>
}

/** An in-process sandbox on a free port with a temp state dir, and a kubeconfig for it. */
export async function startTestSandbox(options: {world?: WorldName; istioVersion?: string; dir?: string; meshFactory?: MeshFactory} = {}): Promise<TestSandbox> {
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-test-'))
  const errors: unknown[] = []
  const sandbox = await startSandbox({stateDir: dir, port: 0, world: options.world ?? 'demo', istioVersion: options.istioVersion ?? '1.28', meshFactory: options.meshFactory, onError: (e) => errors.push(e)})
  const kubeconfig = path.join(dir, 'kubeconfig')
  writeFileSync(kubeconfig, sandboxKubeconfig(sandbox), {mode: 0o600})
  return {
    sandbox,
    dir,
    kubeconfig,
    kubectl: (args, input) =>
      new Promise((resolve) => {
        const child = execFile(kubectlBin, args, {env: {PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig}, timeout: 60_000}, (error, stdout, stderr) => {
          resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
        })
        if (input !== undefined) child.stdin!.end(input)
      }),
    async close() {
      await sandbox.close()
      if (!options.dir) rmSync(dir, {recursive: true, force: true})
    },
  }
}
