import type {ScaffoldResult} from '../scaffold/scaffold.ts'
import {printable, type ObjectOutcome} from '../scaffold/write.ts'
import {splitApiVersion} from '../kube/client.ts'
import {objectsToYaml, type TableView} from './render.ts'

/** kubectl's resource.group/name spelling, e.g. gateway.networking.istio.io/httpbin-gateway. */
export function kubectlName(o: Pick<ObjectOutcome, 'apiVersion' | 'kind' | 'name'>): string {
  const {group} = splitApiVersion(o.apiVersion)
  return `${o.kind.toLowerCase()}${group ? `.${group}` : ''}/${o.name}`
}

function line(result: ScaffoldResult, o: ObjectOutcome): string {
  switch (o.action) {
    case 'generated':
      return `${kubectlName(o)} created (dry run)`
    case 'written':
      return `${kubectlName(o)} written to ${o.file}`
    default:
      return `${kubectlName(o)} ${o.action}${result.dryRun === 'server' ? ' (server dry run)' : ''}`
  }
}

/** Human view: kubectl-style lines per object, or the diffs for --diff. */
export const scaffoldView: TableView<ScaffoldResult> = {
  table: (result) => {
    if (result.mode === 'diff') return result.objects.flatMap((o) => (o.diff ? o.diff.replace(/\n$/, '').split('\n') : []))
    return result.objects.map((o) => line(result, o))
  },
}

/** The result fit to print: Secrets' private keys replaced by a placeholder unless --show-secrets (as certs create does). */
export function shownResult(result: ScaffoldResult, showSecrets: boolean): ScaffoldResult {
  return showSecrets ? result : {...result, objects: result.objects.map((o) => ({...o, object: printable(o.object)}))}
}

/** Whether printing it would show a private key (redaction changes it). */
const holdsPrivateKey = (o: ObjectOutcome) => JSON.stringify(printable(o.object)) !== JSON.stringify(o.object)

/**
 * -o yaml: the objects themselves, ready for `kubectl apply -f -`. A Secret with a private key is
 * printed only with --show-secrets; without it, it is left out (a placeholder would not apply) and
 * `omitted` names it for a note.
 */
export async function scaffoldObjectsYaml(result: ScaffoldResult, showSecrets: boolean): Promise<{yaml: string; omitted: string[]}> {
  const kept = showSecrets ? result.objects : result.objects.filter((o) => !holdsPrivateKey(o))
  const omitted = result.objects.filter((o) => !kept.includes(o)).map((o) => `${o.namespace}/${o.name}`)
  return {yaml: await objectsToYaml(kept.map((o) => o.object)), omitted}
}

export function omittedSecretsNote(omitted: string[]): string {
  return `Note: -o yaml leaves out ${omitted.length} secret${omitted.length > 1 ? 's' : ''} with private keys (${omitted.join(', ')}); pass --show-secrets to include them`
}

/** stderr: the warnings, then what --generate-cert left alone. */
export function warningLines(result: ScaffoldResult): string[] {
  return [
    ...result.warnings.map((w) => `Warning: ${w.source}: ${w.message}${w.hint ? ` (${w.hint})` : ''}`),
    ...result.credentials
      .filter((c) => c.action === 'reused')
      .map((c) => `Note: secret ${c.namespace}/${c.name} exists: reused, not regenerated (renew it with kubectl gw certs rotate ${c.name} -n ${c.namespace})`),
  ]
}
