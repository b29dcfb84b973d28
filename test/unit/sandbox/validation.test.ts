import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {parseAllDocuments} from 'yaml'
import {sharedDir} from '../../helpers/paths.ts'
import {fieldPath, validateObject} from '../../../src/sandbox/api/validation.ts'

/** Istio's own CRDs: the reference our verdicts must agree with (read in place, never copied). */
const crds = parseAllDocuments(readFileSync(path.join(sharedDir, 'reference', 'istio', 'crd-all.gen.yaml'), 'utf8')).map((d) => d.toJS() as any)

function referenceValidator(kind: string, version: string) {
  const crd = crds.find((c) => c?.spec?.group === 'networking.istio.io' && c.spec.names.kind === kind)
  const schema = crd.spec.versions.find((v: {name: string}) => v.name === version).schema.openAPIV3Schema
  const ajv = new Ajv({strict: false, allErrors: true, validateFormats: false})
  return ajv.compile(schema)
}

const gateway = (servers: unknown[]) => ({apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: {name: 'g', namespace: 'default'}, spec: {selector: {istio: 'ingressgateway'}, servers}})
const virtualService = (http: unknown[]) => ({apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: {name: 'v', namespace: 'default'}, spec: {hosts: ['a.example.com'], gateways: ['g'], http}})
const destinationRule = (spec: unknown) => ({apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: {name: 'd', namespace: 'default'}, spec})
const serviceEntry = (spec: unknown) => ({apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: {name: 's', namespace: 'default'}, spec})

const samples: {name: string; kind: string; object: any}[] = [
  {name: 'valid HTTP gateway', kind: 'Gateway', object: gateway([{port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: ['*.example.com']}])},
  {name: 'valid HTTPS gateway', kind: 'Gateway', object: gateway([{port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['a.example.com'], tls: {mode: 'SIMPLE', credentialName: 'cred'}}])},
  {name: 'gateway server without hosts', kind: 'Gateway', object: gateway([{port: {number: 80, name: 'http', protocol: 'HTTP'}}])},
  {name: 'gateway port number as text', kind: 'Gateway', object: gateway([{port: {number: 'eighty', name: 'http', protocol: 'HTTP'}, hosts: ['*']}])},
  {name: 'gateway TLS mode unknown', kind: 'Gateway', object: gateway([{port: {number: 443, name: 'https', protocol: 'HTTPS'}, hosts: ['*'], tls: {mode: 'STRICT'}}])},
  {name: 'valid weighted routes', kind: 'VirtualService', object: virtualService([{route: [{destination: {host: 'app', subset: 'stable'}, weight: 90}, {destination: {host: 'app', subset: 'canary'}, weight: 10}]}])},
  {name: 'route weight as text', kind: 'VirtualService', object: virtualService([{route: [{destination: {host: 'app'}, weight: 'ninety'}]}])},
  {name: 'route destination without host', kind: 'VirtualService', object: virtualService([{route: [{destination: {subset: 'v1'}}]}])},
  {name: 'valid retries and timeout', kind: 'VirtualService', object: virtualService([{route: [{destination: {host: 'app', port: {number: 8080}}}], timeout: '10s', retries: {attempts: 3, perTryTimeout: '2s'}}])},
  {name: 'valid destination rule', kind: 'DestinationRule', object: destinationRule({host: 'app', trafficPolicy: {loadBalancer: {simple: 'ROUND_ROBIN'}}, subsets: [{name: 'v1', labels: {version: 'v1'}}]})},
  {name: 'destination rule without host', kind: 'DestinationRule', object: destinationRule({subsets: [{name: 'v1', labels: {version: 'v1'}}]})},
  {name: 'load balancer unknown', kind: 'DestinationRule', object: destinationRule({host: 'app', trafficPolicy: {loadBalancer: {simple: 'FASTEST'}}})},
  {name: 'subset without name', kind: 'DestinationRule', object: destinationRule({host: 'app', subsets: [{labels: {version: 'v1'}}]})},
  {name: 'valid service entry', kind: 'ServiceEntry', object: serviceEntry({hosts: ['api.example.com'], ports: [{number: 443, name: 'https', protocol: 'TLS'}], resolution: 'DNS', location: 'MESH_EXTERNAL'})},
  {name: 'service entry resolution unknown', kind: 'ServiceEntry', object: serviceEntry({hosts: ['api.example.com'], resolution: 'MAGIC'})},
  {name: 'service entry without hosts', kind: 'ServiceEntry', object: serviceEntry({resolution: 'DNS'})},
]

describe('Istio validation agrees with Istio CRD schemas (crd-all.gen.yaml)', () => {
  for (const sample of samples) {
    it(sample.name, async () => {
      const reference = referenceValidator(sample.kind, 'v1')
      // The CRD schema covers spec; metadata rules are the apiserver's own.
      const referenceValid = reference(sample.object) as boolean
      const causes = await validateObject('networking.istio.io', 'v1', sample.kind, sample.object)
      assert.equal(causes.length === 0, referenceValid, `ours: ${JSON.stringify(causes)}; reference: ${JSON.stringify(reference.errors)}`)
      if (!referenceValid) {
        const referenceFields = (reference.errors ?? []).map((e) => (e.keyword === 'required' ? `${fieldPath(e.instancePath)}${e.instancePath ? '.' : ''}${String(e.params.missingProperty)}` : fieldPath(e.instancePath)))
        assert.ok(causes.some((c) => referenceFields.includes(c.field ?? '')), `a reported field is one the reference names: ${JSON.stringify(causes.map((c) => c.field))} vs ${JSON.stringify(referenceFields)}`)
      }
    })
  }

  it('names the field path as the apiserver does', () => {
    assert.equal(fieldPath('/spec/servers/0/port/number'), 'spec.servers[0].port.number')
  })

  it('rejects bad metadata names for every kind', async () => {
    const causes = await validateObject('', 'v1', 'ConfigMap', {metadata: {name: 'Bad_Name'}})
    assert.equal(causes[0]?.field, 'metadata.name')
  })
})
