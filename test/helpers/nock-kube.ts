import assert from 'node:assert/strict'
import {after, afterEach, before} from 'node:test'
import nock from 'nock'
import type {KubeClient} from '../../src/kube/client.ts'
import {createKubeClient} from '../../src/kube/connect.ts'
import {writeTestKubeconfig} from './kubeconfig.ts'

/** The API server address the nock suites intercept. */
export const nockServer = 'https://kube.example.test:6443'

/** The error a promise rejects with, checked to be an instance of `type`; fails the test if it resolves. */
export async function rejection<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  try {
    await promise
  } catch (error) {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`)
    return error
  }
  assert.fail('expected the call to fail')
}

/**
 * Hooks for a suite whose HTTP goes through nock only: no real connections, every interceptor consumed,
 * and clients built by `client()` closed after each test.
 */
export function useNockedKube(): {client(requestTimeoutMs?: number, kubeconfig?: string): KubeClient} {
  const kubeconfig = writeTestKubeconfig({server: nockServer, token: 'secret-token', insecure: true})
  const openClients: KubeClient[] = []
  before(() => nock.disableNetConnect())
  afterEach(() => {
    for (const kube of openClients.splice(0)) kube.close()
    assert.ok(nock.isDone(), `unused interceptors: ${nock.pendingMocks().join(', ')}`)
    nock.cleanAll()
  })
  after(() => nock.enableNetConnect())
  return {
    client(requestTimeoutMs = 0, file = kubeconfig) {
      const kube = createKubeClient({selection: {kubeconfig: file, env: {}}, requestTimeoutMs})
      openClients.push(kube)
      return kube
    },
  }
}
