import type {GwContext} from '../context.ts'
import {UsageError} from '../errors.ts'
import {checkOutDir} from '../local-files.ts'
import type {KubeObject} from '../kube/objects.ts'
import {clientDryRunFacts, type ClusterFacts} from './facts.ts'
import type {Locator} from './locate.ts'
import {schemaProblems, type SchemaProblem} from './parse-spec.ts'
import {planObjects} from './plan.ts'
import {generateCredentials, wantedCredentials, withDefaultCredential, type CredentialOutcome} from './credentials.ts'
import type {ScaffoldSpec} from './spec.ts'
import {validateSpec, type SpecIssue} from './validate.ts'
import {applyScaffold, diffScaffold, objectsGenerated, writeObjectFiles, type ObjectOutcome} from './write.ts'

export type DryRun = 'none' | 'client' | 'server'

export interface ScaffoldOptions {
  spec: ScaffoldSpec
  /** Names the flag or file line a spec path came from. */
  locate: Locator
  /** Namespace for the Gateway, routes and rules when the spec names none (-n, else the context's). */
  namespace: string
  ingressSelector: Record<string, string>
  dryRun: DryRun
  diff: boolean
  outDir?: string
  forceConflicts: boolean
}

export interface ScaffoldWarning {
  /** The flag or `file:line` it concerns. */
  source: string
  message: string
  hint?: string
}

/** `kubectl gw scaffold -o json`: a documented, stable contract (docs/scaffold-spec.md, pinned by tests). */
export interface ScaffoldResult {
  kind: 'ScaffoldResult'
  dryRun: DryRun
  /** What happened to the objects: applied, diffed, written to files, or only generated. */
  mode: 'apply' | 'diff' | 'out-dir' | 'generate'
  /** False in a client dry run: defaults stood in for detection. */
  detected: boolean
  networkingApiVersion: string
  gatewayWorkload: {namespace: string; selector: Record<string, string>; deployment: string}
  objects: ObjectOutcome[]
  /** generateCert: per credential secret, whether it was generated (its secrets are in objects) or reused. */
  credentials: CredentialOutcome[]
  warnings: ScaffoldWarning[]
}

function located(locate: Locator, issue: SpecIssue): string {
  return `${locate(issue.path)}: ${issue.message}${issue.hint ? ` (fix: ${issue.hint})` : ''}`
}

/** Validates before anything is written: every problem at once, each naming its flag or line. */
function failOn(errors: SpecIssue[], locate: Locator): void {
  if (errors.length === 0) return
  throw new UsageError(errors.map((e) => located(locate, e)).join('\n'))
}

export async function resolveFacts(ctx: GwContext, options: ScaffoldOptions): Promise<ClusterFacts> {
  if (options.dryRun === 'client') return clientDryRunFacts(options.spec.gateway?.selector ?? options.ingressSelector)
  const {detectClusterFacts} = await import('./detect.ts')
  return detectClusterFacts(ctx, options.spec, options.namespace, options.ingressSelector)
}

/** The objects a spec stands for against given facts, after every check; throws UsageError listing all problems. */
export async function planScaffold(spec: ScaffoldSpec, facts: ClusterFacts, namespace: string, locate: Locator): Promise<{objects: KubeObject[]; warnings: ScaffoldWarning[]}> {
  const schema = await schemaProblems(spec)
  // Spec files were checked when read; what is left are flag values, named by their flag and field.
  const subject = (p: SchemaProblem) => [...p.path, ...(p.key ? [p.key] : [])].filter((k) => typeof k === 'string').pop()
  if (schema.length) throw new UsageError(schema.map((p) => `${locate(p.key ? [...p.path, p.key] : p.path)}: ${subject(p) ?? p.where} ${p.message}`).join('\n'))
  const effectiveNamespace = spec.namespace ?? namespace
  const findings = validateSpec(spec, facts, effectiveNamespace)
  failOn(findings.errors, locate)
  return {
    objects: planObjects({spec, facts, namespace: effectiveNamespace}),
    warnings: findings.warnings.map((w) => ({source: locate(w.path), message: w.message, hint: w.hint})),
  }
}

/**
 * kubectl gw scaffold: detect (unless a client dry run), validate, plan, then apply / diff / write
 * files / only generate. Nothing is written when any check fails.
 */
export async function runScaffold(ctx: GwContext, request: ScaffoldOptions): Promise<ScaffoldResult> {
  const options = {...request, spec: withDefaultCredential(request.spec)}
  if (options.outDir) await checkOutDir(options.outDir)
  const facts = await resolveFacts(ctx, options)
  const planned = await planScaffold(options.spec, facts, options.namespace, options.locate)
  // Only after every check passed: issuing is the slow part, and a refusal must leave nothing behind.
  const credentials = await generateCredentials(ctx, wantedCredentials(options.spec, facts, options.spec.namespace ?? options.namespace), facts)
  // Secrets first, so the Gateway never points at a credential that is not there yet.
  const objects = [...credentials.objects, ...planned.objects]
  let outcomes: ObjectOutcome[]
  let mode: ScaffoldResult['mode']
  if (options.outDir) {
    mode = 'out-dir'
    outcomes = await writeObjectFiles(objects, options.outDir)
  } else if (options.diff) {
    mode = 'diff'
    outcomes = await diffScaffold(ctx.kube, objects, {forceConflicts: options.forceConflicts})
  } else if (options.dryRun === 'client') {
    mode = 'generate'
    outcomes = objectsGenerated(objects)
  } else {
    mode = 'apply'
    outcomes = await applyScaffold(ctx.kube, objects, {dryRun: options.dryRun === 'server', forceConflicts: options.forceConflicts})
  }
  return {
    kind: 'ScaffoldResult',
    dryRun: options.dryRun,
    mode,
    detected: facts.live,
    networkingApiVersion: facts.networkingApiVersion,
    gatewayWorkload: {namespace: facts.ingress.namespace, selector: facts.ingress.selector, deployment: facts.ingress.deployment},
    objects: outcomes,
    credentials: credentials.outcomes,
    warnings: planned.warnings,
  }
}
