import {createSimulatedMesh, type MeshOptions, type SandboxMesh} from '../../src/sandbox/mesh/index.ts'
import {startTestSandbox, type TestSandbox} from './sandbox.ts'

export type MeshTestSandbox = TestSandbox & {mesh: SandboxMesh}

const manualTraffic: MeshOptions = {timer: {setInterval: () => 0, clearInterval: () => undefined}}

/** The demo sandbox with the simulated mesh; by default traffic runs only when the test calls mesh.runTraffic. */
export async function startMeshSandbox(meshOptions: MeshOptions = manualTraffic): Promise<MeshTestSandbox> {
  let mesh: SandboxMesh | undefined
  const sandbox = await startTestSandbox({meshFactory: (state) => (mesh = createSimulatedMesh(state, meshOptions))})
  return {...sandbox, mesh: mesh!}
}
