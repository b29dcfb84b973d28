import {randomBytes} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {ensurePrivateDir, writePrivateFile} from './private-files.ts'
import path from 'node:path'
import type {MeshFactory} from './mesh-contract.ts'
import {SandboxApiServer} from './api/server.ts'
import {ObjectStore} from './api/store.ts'
import {splitApiVersion} from './api/resources.ts'
import {ControllerLoop} from './controllers/loop.ts'
import {readState, SandboxStateCorrupt, StateWriter} from './persistence.ts'
import {createSandboxPki, type SandboxPki} from './tls.ts'
import {worldObjects, type WorldName} from './world/demo.ts'

export interface SandboxOptions {
  stateDir: string
  /** 0 = any free port. */
  port: number
  world: WorldName
  istioVersion: string
  meshFactory?: MeshFactory
  /** Forget the saved state and build the world afresh. */
  reset?: boolean
  /** Where write errors of background work go (default: dropped). */
  onError?: (error: unknown) => void
}

export interface RunningSandbox {
  url: string
  port: number
  token: string
  pki: SandboxPki
  istioVersion: string
  world: WorldName
  server: SandboxApiServer
  controllers: ControllerLoop
  /** Stops serving and writes the state file. */
  close(): Promise<void>
}

export const sandboxFiles = {
  state: 'state.json',
  token: 'token',
  ca: 'ca.crt',
  serverCert: 'apiserver.crt',
  serverKey: 'apiserver.key',
} as const

/** The CA and token survive restarts, so a written kubeconfig stays valid. */
async function credentials(stateDir: string): Promise<{pki: SandboxPki; token: string}> {
  const file = (name: string) => path.join(stateDir, name)
  try {
    return {
      token: readFileSync(file(sandboxFiles.token), 'utf8').trim(),
      pki: {caCertPem: readFileSync(file(sandboxFiles.ca), 'utf8'), serverCertPem: readFileSync(file(sandboxFiles.serverCert), 'utf8'), serverKeyPem: readFileSync(file(sandboxFiles.serverKey), 'utf8')},
    }
  } catch {
    const pki = await createSandboxPki()
    const token = randomBytes(32).toString('base64url')
    writeFileSync(file(sandboxFiles.ca), pki.caCertPem)
    writeFileSync(file(sandboxFiles.serverCert), pki.serverCertPem)
    writePrivateFile(file(sandboxFiles.serverKey), pki.serverKeyPem)
    writePrivateFile(file(sandboxFiles.token), `${token}\n`)
    return {pki, token}
  }
}

export class SandboxStateMismatch extends Error {}
export {SandboxStateCorrupt}

/** Starts the simulated cluster in this process: state, world, controllers and the HTTPS API. */
export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  ensurePrivateDir(options.stateDir)
  const {pki, token} = await credentials(options.stateDir)
  const stateFile = path.join(options.stateDir, sandboxFiles.state)
  const saved = options.reset ? undefined : readState(stateFile)
  if (saved && saved.istioVersion !== options.istioVersion) {
    throw new SandboxStateMismatch(`the sandbox in ${options.stateDir} simulates Istio ${saved.istioVersion}, not ${options.istioVersion}`)
  }
  const world = (saved?.world as WorldName | undefined) ?? options.world
  const store = new ObjectStore(options.istioVersion)
  if (saved) store.restore(saved)
  const server = new SandboxApiServer({port: options.port, token, pki, store, meshFactory: options.meshFactory})
  const writer = new StateWriter(stateFile, store, {istioVersion: options.istioVersion, world}, {onError: options.onError})
  const controllers = new ControllerLoop(server.api, options.onError)
  if (!saved) {
    // A fresh (or --reset) world starts from an empty snapshot: no journal line is ever read against an older state.
    await writer.checkpoint()
    const custom = server.registry.all.filter((t) => !t.builtin)
    for (const object of worldObjects(world, options.istioVersion, custom)) {
      const {group, version} = splitApiVersion(String(object.apiVersion))
      const type = server.registry.forKind(group, String(object.kind))!
      const metadata = object.metadata as {namespace?: string}
      await server.api.create(type, version, metadata.namespace, object, {fieldManager: 'gw-sandbox', subresource: 'status'})
    }
  }
  await controllers.settled()
  await writer.checkpoint()
  const port = await server.listen()
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    token,
    pki,
    istioVersion: options.istioVersion,
    world,
    server,
    controllers,
    async close() {
      controllers.stop()
      await server.close()
      await writer.close()
    },
  }
}

/** A kubeconfig for the sandbox: context gw-sandbox, the sandbox CA, bearer token, namespace default. */
export function sandboxKubeconfig(sandbox: {url: string; token: string; pki: SandboxPki}): string {
  const ca = Buffer.from(sandbox.pki.caCertPem).toString('base64')
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: gw-sandbox',
    '  cluster:',
    `    server: ${sandbox.url}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    '- name: gw-sandbox',
    '  user:',
    `    token: ${sandbox.token}`,
    'contexts:',
    '- name: gw-sandbox',
    '  context:',
    '    cluster: gw-sandbox',
    '    user: gw-sandbox',
    '    namespace: default',
    'current-context: gw-sandbox',
    'preferences: {}',
    '',
  ].join('\n')
}
