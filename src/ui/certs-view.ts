import type {CreateCredentialResult} from '../certs/create.ts'
import type {InspectReport, InspectedSecret} from '../certs/inspect.ts'
import type {RotateResult} from '../certs/rotate.ts'
import {redactSecret} from '../certs/secrets.ts'
import {formatTable, objectsToYaml, type OutputFormat, type TableView} from './render.ts'

function dryRunSuffix(dryRun: string): string {
  return dryRun === 'none' ? '' : ` (${dryRun} dry run)`
}

function day(iso: string): string {
  return iso.slice(0, 10)
}

export const createView: TableView<CreateCredentialResult> = {
  table: (result) => {
    const lines = result.written.map((s) => `secret/${s.name} ${s.action} in ${s.namespace}${dryRunSuffix(result.dryRun)}`)
    if (result.dryRun === 'client') {
      lines.push(...result.objects.map((o) => `secret/${o.metadata.name} would be created in ${result.namespace} (client dry run: nothing sent)`))
    }
    lines.push(...result.files.map((f) => `wrote ${f.path} (${f.mode})`))
    lines.push(
      `server certificate: ${result.server.subject}, SANs ${result.server.sans.join(', ')}, ${result.keyType}, serial ${result.server.serial}, valid until ${day(result.server.notAfter)}`,
      `CA: ${result.ca.subject} (${result.ca.source}${result.ca.secret ? `, secret ${result.ca.secret}` : ''}), valid until ${day(result.ca.notAfter)}`,
    )
    for (const client of result.clients) lines.push(`client certificate: ${client.subject}, serial ${client.serial}, valid until ${day(client.notAfter)}`)
    lines.push(`use it in a Gateway server: tls: {mode: ${result.mutual ? 'MUTUAL' : 'SIMPLE'}, credentialName: ${result.credential}} (gateway pods in namespace ${result.namespace})`)
    return lines
  },
}

/**
 * What `certs create -o yaml|json` prints: the Secret objects, as `kubectl create --dry-run=client -o yaml`
 * would, private keys replaced by a placeholder unless --show-secrets.
 */
export async function renderCreatedObjects(result: CreateCredentialResult, format: Extract<OutputFormat, 'yaml' | 'json'>, showSecrets: boolean): Promise<string> {
  const objects = showSecrets ? result.objects : result.objects.map(redactSecret)
  if (format === 'yaml') return objectsToYaml(objects)
  return `${JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects, metadata: {}}, null, 2)}\n`
}

function keyColumn(secret: InspectedSecret): string {
  if (secret.keyMatches === undefined) return '-'
  return secret.keyMatches ? 'match' : 'MISMATCH'
}

function statusColumn(secret: InspectedSecret): string {
  const worst = secret.findings.find((f) => f.level === 'error') ?? secret.findings.find((f) => f.level === 'warning')
  return worst ? worst.code : 'OK'
}

function gatewaysColumn(secret: InspectedSecret): string {
  return secret.gateways.map((g) => `${g.namespace}/${g.name}${g.mode ? `(${g.mode})` : ''}`).join(',') || '-'
}

export const inspectView: TableView<InspectReport> = {
  hasWide: true,
  table: (report, {wide}) => {
    const multiNamespace = new Set(report.secrets.map((s) => s.namespace)).size > 1
    const headers = [
      ...(multiNamespace ? ['namespace'] : []),
      'name',
      'role',
      'subject',
      'sans',
      'not after',
      'days',
      'key',
      'chain',
      'gateways',
      'status',
      ...(wide ? ['issuer', 'serial', 'key type', 'ca cert'] : []),
    ]
    const rows = report.secrets.map((s) => [
      ...(multiNamespace ? [s.namespace] : []),
      s.name,
      s.role,
      s.certificate?.subject ?? '-',
      s.certificate?.sans.join(',') || '-',
      s.certificate ? day(s.certificate.notAfter) : '-',
      s.certificate ? String(s.certificate.daysLeft) : '-',
      keyColumn(s),
      s.chain,
      gatewaysColumn(s),
      statusColumn(s),
      ...(wide ? [s.certificate?.issuer ?? '-', s.certificate?.serial ?? '-', s.certificate?.keyType ?? '-', s.caCertificate ? `${s.caCertificate.source}: ${s.caCertificate.subject}` : '-'] : []),
    ])
    const lines = report.secrets.length ? formatTable(headers, rows) : ['No TLS secrets found.']
    const findings = report.secrets.flatMap((s) => s.findings.map((f) => ({secret: s, finding: f})))
    if (findings.length) {
      lines.push('', 'Findings:')
      for (const {secret, finding} of findings) {
        lines.push(`${finding.level.padEnd(7)} [${finding.code}] (Secret ${secret.namespace}/${secret.name}) ${finding.message}`, `        hint: ${finding.hint}`)
      }
    }
    for (const note of report.notes) lines.push(`note: ${note}`)
    lines.push('', `${report.summary.secrets} secret(s): ${report.summary.errors} error(s), ${report.summary.warnings} warning(s), ${report.summary.infos} info`)
    return lines
  },
}

export const rotateView: TableView<RotateResult> = {
  table: (r) => [
    `secret/${r.credential} rotated in ${r.namespace}${dryRunSuffix(r.dryRun)}`,
    ...formatTable(
      ['', 'serial', 'not before', 'not after'],
      [
        ['old', r.old.serial, r.old.notBefore, r.old.notAfter],
        ['new', r.new.serial, r.new.notBefore, r.new.notAfter],
      ],
    ),
    `hosts: ${r.hosts.join(', ')}; key type ${r.keyType}; CA: ${r.ca.subject} (${r.ca.source})`,
  ],
}
