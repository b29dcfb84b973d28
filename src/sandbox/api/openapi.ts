import {createHash} from 'node:crypto'
import {apiVersionOf, type ResourceRegistry} from './resources.ts'

function groupVersions(registry: ResourceRegistry): {group: string; version: string; path: string}[] {
  const seen = new Map<string, {group: string; version: string; path: string}>()
  for (const type of registry.all) {
    for (const version of type.versions) {
      const path = type.group ? `apis/${type.group}/${version}` : `api/${version}`
      seen.set(path, {group: type.group, version, path})
    }
  }
  return [...seen.values()]
}

const hashOf = (text: string) => createHash('sha512').update(text).digest('hex').slice(0, 32).toUpperCase()

/** The /openapi/v3 index: one document per group-version, as kubectl's validation discovers them. */
export function openApiIndex(registry: ResourceRegistry): Record<string, unknown> {
  const paths: Record<string, {serverRelativeURL: string}> = {}
  for (const gv of groupVersions(registry)) paths[gv.path] = {serverRelativeURL: `/openapi/v3/${gv.path}?hash=${hashOf(gv.path)}`}
  return {paths}
}

const fieldValidationParameter = {
  name: 'fieldValidation',
  in: 'query',
  description: 'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
  schema: {type: 'string', uniqueItems: true},
}

/**
 * A group-version document: paths with their operations and the fieldValidation parameter, so kubectl
 * leaves validation to the server. Built-in kinds carry no schema, so
 * kubectl uses its compiled-in strategic-merge metadata for them; custom resources get open schemas.
 */
export function openApiDocument(registry: ResourceRegistry, groupVersionPath: string): Record<string, unknown> | undefined {
  const gv = groupVersions(registry).find((x) => x.path === groupVersionPath)
  if (!gv) return undefined
  const paths: Record<string, unknown> = {}
  const schemas: Record<string, unknown> = {}
  for (const type of registry.inGroupVersion(gv.group, gv.version)) {
    const base = `/${gv.path}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.plural}`
    const gvk = {group: gv.group, version: gv.version, kind: type.kind}
    const operation = (verb: string) => ({
      operationId: `${verb}${type.kind}`,
      parameters: [fieldValidationParameter, {name: 'dryRun', in: 'query', schema: {type: 'string'}}, {name: 'fieldManager', in: 'query', schema: {type: 'string'}}],
      responses: {'200': {description: 'OK'}},
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk,
    })
    paths[base] = {get: operation('list'), post: operation('post')}
    paths[`${base}/{name}`] = {get: operation('get'), put: operation('put'), patch: operation('patch'), delete: operation('delete')}
    if (type.builtin) continue
    const schemaName = `${(gv.group || 'io.k8s.api.core').split('.').reverse().join('.')}.${gv.version}.${type.kind}`
    schemas[schemaName] = {type: 'object', 'x-kubernetes-group-version-kind': [gvk], 'x-kubernetes-preserve-unknown-fields': true}
  }
  return {openapi: '3.0.0', info: {title: 'Kubernetes (kubectl-gw sandbox)', version: apiVersionOf(gv.group, gv.version)}, paths, components: {schemas}}
}

/**
 * /openapi/v2 with no definitions: kubectl validates a `List` (what `kubectl get -o yaml` writes)
 * against it, and skips kinds it has no schema for, leaving validation to the server as /openapi/v3
 * does. kubectl asks for gnostic's protobuf (`openapi_v2.Document`: swagger = 1, info = 2 {title = 1,
 * version = 2}); other clients get JSON.
 */
export function openApiV2(accept: string, serverVersion: string): {contentType: string; body: Buffer} {
  const document = {swagger: '2.0', info: {title: 'Kubernetes', version: serverVersion}, paths: {}, definitions: {}}
  if (!accept.includes('protobuf')) return {contentType: 'application/json', body: Buffer.from(JSON.stringify(document))}
  const field = (number: number, payload: Buffer) => Buffer.concat([Buffer.from([(number << 3) | 2, payload.length]), payload])
  const info = Buffer.concat([field(1, Buffer.from(document.info.title)), field(2, Buffer.from(document.info.version))])
  return {contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', body: Buffer.concat([field(1, Buffer.from(document.swagger)), field(2, info)])}
}
