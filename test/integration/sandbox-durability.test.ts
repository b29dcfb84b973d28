import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'
import {gwBin, requireBuiltCli} from '../helpers/paths.ts'

function run(args: string[], env: Record<string, string>): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    execFile(gwBin, args, {env: {PATH: process.env.PATH ?? '', ...env}, timeout: 60_000}, (error, stdout, stderr) => {
      resolve({code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr})
    })
  })
}

interface Endpoint {
  url: string
  pid: number
  token: string
  ca: string
}

function endpoint(dir: string): Endpoint {
  const runtime = JSON.parse(readFileSync(path.join(dir, 'sandbox.json'), 'utf8')) as {url: string; pid: number}
  return {url: runtime.url, pid: runtime.pid, token: readFileSync(path.join(dir, 'token'), 'utf8').trim(), ca: readFileSync(path.join(dir, 'ca.crt'), 'utf8')}
}

function request(target: Endpoint, agent: https.Agent, method: string, requestPath: string, body?: unknown): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${target.url}${requestPath}`, {method, agent, ca: target.ca, headers: {Authorization: `Bearer ${target.token}`, 'Content-Type': 'application/json'}}, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: text}))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

describe('sandbox durability: a write that got a 2xx survives kill -9 (built CLI)', () => {
  requireBuiltCli()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gw-sandbox-durable-'))
  const env = {KUBECTL_GW_SANDBOX_DIR: dir, HOME: dir}
  before(async () => {
    const up = await run(['sandbox', 'up', '--detach', '--world', 'empty'], env)
    assert.equal(up.code, 0, up.stderr)
  })
  after(async () => {
    await run(['sandbox', 'down'], env)
    rmSync(dir, {recursive: true, force: true})
  })

  it('keeps every acknowledged create, update and delete when the process is killed mid-stream', async () => {
    // Per object, the values a restarted sandbox may hold: an acknowledged write fixes it, one in flight may or may not have landed.
    const allowed = new Map<string, (string | undefined)[]>()
    let acknowledgedWrites = 0
    // Two rounds, each killed while requests are still in flight.
    for (let round = 0; round < 2; round++) {
      const target = endpoint(dir)
      const agent = new https.Agent({keepAlive: true, maxSockets: 16})
      const base = '/api/v1/namespaces/default/configmaps'
      let killed = false
      let acks = 0
      const acknowledge = () => {
        acknowledgedWrites++
        if (++acks === 90 && !killed) {
          killed = true
          process.kill(target.pid, 'SIGKILL')
        }
      }
      const worker = async (w: number) => {
        for (let i = 0; !killed && i < 200; i++) {
          const name = `r${round}-w${w}-${i}`
          try {
            allowed.set(name, [undefined, 'first'])
            const created = await request(target, agent, 'POST', base, {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name}, data: {value: 'first'}})
            assert.equal(created.status, 201, created.body)
            allowed.set(name, ['first'])
            acknowledge()
            allowed.set(name, ['first', 'second'])
            const updated = await request(target, agent, 'PUT', `${base}/${name}`, {...(JSON.parse(created.body) as object), data: {value: 'second'}})
            assert.equal(updated.status, 200, updated.body)
            allowed.set(name, ['second'])
            acknowledge()
            if (i % 3 === 0) {
              allowed.set(name, ['second', undefined])
              const gone = await request(target, agent, 'DELETE', `${base}/${name}`)
              assert.equal(gone.status, 200, gone.body)
              allowed.set(name, [undefined])
              acknowledge()
            }
          } catch (error) {
            if (!killed) throw error
            return // the connection died with the process
          }
        }
      }
      await Promise.all(Array.from({length: 12}, (_, w) => worker(w)))
      agent.destroy()
      assert.ok(killed, 'the sandbox was killed while writes were in flight')
      const up = await run(['sandbox', 'up', '--detach'], env)
      assert.equal(up.code, 0, up.stderr)
    }
    const target = endpoint(dir)
    const agent = new https.Agent({keepAlive: true})
    const list = await request(target, agent, 'GET', '/api/v1/namespaces/default/configmaps')
    agent.destroy()
    assert.equal(list.status, 200)
    const stored = new Map((JSON.parse(list.body) as {items: {metadata: {name: string}; data?: {value?: string}}[]}).items.map((item) => [item.metadata.name, item.data?.value]))
    assert.ok(acknowledgedWrites >= 180, `both rounds acknowledged writes before the kill (${acknowledgedWrites})`)
    const lost = [...allowed].filter(([name, values]) => !values.includes(stored.get(name)))
    assert.deepEqual(lost.map(([name, values]) => `${name}: stored ${stored.get(name) ?? 'nothing'}, acknowledged ${values.join(' or ') || 'deleted'}`), [], `acknowledged writes lost after kill -9`)
  })
})
