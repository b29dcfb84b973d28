import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createSimulatedMesh, type MeshOptions, type SandboxMesh} from '../../src/sandbox/mesh/index.ts'
import {sandboxKubeconfig, startSandbox, type RunningSandbox} from '../../src/sandbox/sandbox.ts'

export interface TestSandbox {
  dir: string
  sandbox: RunningSandbox
  mesh: SandboxMesh
  kubeconfig: string
  close(): Promise<void>
}

const manualTraffic: MeshOptions = {timer: {setInterval: () => 0, clearInterval: () => undefined}}

/** The demo sandbox with the simulated mesh; by default traffic runs only when the test calls mesh.runTraffic. */
export async function startTestSandbox(prefix: string, meshOptions: MeshOptions = manualTraffic): Promise<TestSandbox> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  let mesh: SandboxMesh | undefined
  const sandbox = await startSandbox({
    stateDir: path.join(dir, 'state'),
    port: 0,
    world: 'demo',
    istioVersion: '1.28',
    meshFactory: (state) => (mesh = createSimulatedMesh(state, meshOptions)),
  })
  const kubeconfig = path.join(dir, 'kubeconfig')
  fs.writeFileSync(kubeconfig, sandboxKubeconfig(sandbox), {mode: 0o600})
  return {
    dir,
    sandbox,
    mesh: mesh!,
    kubeconfig,
    async close() {
      await sandbox.close()
      fs.rmSync(dir, {recursive: true, force: true})
    },
  }
}
