import assert from 'node:assert/strict'
import https from 'node:https'
import {after, before, describe, it} from 'node:test'
import {startTestSandbox, type TestSandbox} from '../helpers/sandbox.ts'

describe('sandbox API: malformed requests get 4xx, as from a real API server', () => {
  let t: TestSandbox
  before(async () => {
    t = await startTestSandbox({world: 'empty'})
  })
  after(() => t.close())

  const send = (method: string, requestPath: string, body?: string, contentType = 'application/json') =>
    new Promise<{status: number; body: string}>((resolve, reject) => {
      const req = https.request(`${t.sandbox.url}${requestPath}`, {method, ca: t.sandbox.pki.caCertPem, headers: {Authorization: `Bearer ${t.sandbox.token}`, 'Content-Type': contentType}}, (res) => {
        let text = ''
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({status: res.statusCode ?? 0, body: text}))
      })
      req.on('error', reject)
      req.end(body)
    })

  it('answers 400 to a body nested 10,000 levels deep, for create, update and patch, and keeps serving', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`
    const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":{"a":"b"},"x":${deep}}`
    for (const [method, path, type] of [
      ['POST', '/api/v1/namespaces/default/configmaps', 'application/json'],
      ['PUT', '/api/v1/namespaces/default/configmaps/deep', 'application/json'],
      ['PATCH', '/api/v1/namespaces/default/configmaps/deep', 'application/merge-patch+json'],
      ['PATCH', '/api/v1/namespaces/default/configmaps/deep?fieldManager=t', 'application/apply-patch+yaml'],
    ] as const) {
      const answer = await send(method, path, body, type)
      assert.equal(answer.status, 400, `${method} ${type}: ${answer.body.slice(0, 200)}`)
      assert.match(answer.body, /"reason":"BadRequest"/)
      assert.match(answer.body, /nest/)
    }
    const healthy = await send('GET', '/api/v1/namespaces/default/configmaps')
    assert.equal(healthy.status, 200)
  })

  it('answers 400 to bad percent-encoding in the path', async () => {
    const answer = await send('GET', '/api/v1/namespaces/%E0%A4%A/configmaps')
    assert.equal(answer.status, 400, answer.body)
    assert.match(answer.body, /"reason":"BadRequest"/)
    const named = await send('GET', '/api/v1/namespaces/default/configmaps/%ZZ')
    assert.equal(named.status, 400, named.body)
  })
})
