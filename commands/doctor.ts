import {Flags} from '@oclif/core'
import type {DoctorReport} from '../src/doctor/doctor.ts'
import {parseDuration} from '../src/duration.ts'
import {UsageError} from '../src/errors.ts'
import {GwCommand} from './base-command.ts'

/** `--header K=V` (repeatable) as lower-cased header names, the way Envoy compares them. */
export function parseHeaders(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const value of values) {
    const eq = value.indexOf('=')
    if (eq <= 0) throw new UsageError(`invalid --header "${value}": expected NAME=VALUE`, {hint: 'e.g. --header x-canary=true'})
    headers[value.slice(0, eq).trim().toLowerCase()] = value.slice(eq + 1)
  }
  return headers
}

export default class Doctor extends GwCommand<typeof Doctor> {
  static override summary = 'Diagnose why ingress traffic fails: install, Istio config and what Envoy on the gateway pods actually runs.'
  static override description = `Reads the cluster once (one list per kind; only the credential secrets Gateways name, where
Istio reads them), runs every check of plugins/doctor-checks, then reads each gateway pod's Envoy admin
(config_dump, clusters, stats) through the API server's pod proxy and compares it with the resources.
Every finding has a stable code, the resource, one line, and a command that fixes it or shows more.
Checks whose inputs cannot be read (CRD not installed, 403) are reported as skipped, with the reason.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above --fail-on; 2 usage; 3 cluster
unreachable or forbidden.`
  static override examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --gateway istio-system/public-gateway -o wide',
    '<%= config.bin %> doctor -o json --fail-on warning',
    '<%= config.bin %> doctor --host shop.example.com --path /api/v1 --header x-canary=true',
    '<%= config.bin %> doctor --graph mermaid > ingress.mmd',
    '<%= config.bin %> doctor --bundle doctor.tar.gz',
    '<%= config.bin %> doctor --config-dump dump.json --host shop.example.com',
  ]
  static override flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'Report findings in all namespaces (the default; the cluster is always read whole).', default: false, exclusive: ['namespace']}),
    gateway: Flags.string({description: 'Report only findings of this Gateway (NAME or NAMESPACE/NAME).'}),
    'skip-envoy': Flags.boolean({description: 'Do not read Envoy admin on the gateway pods (static checks only).', default: false}),
    'fail-on': Flags.string({description: 'Exit 1 when a finding at or above this level exists.', options: ['error', 'warning', 'none'], default: 'error'}),
    host: Flags.string({description: 'Trace one request for this Host through the resources and the live Envoy route table.'}),
    path: Flags.string({description: 'Path of the traced request (default /).', dependsOn: ['host']}),
    header: Flags.string({description: 'Header of the traced request, K=V; repeatable.', multiple: true, dependsOn: ['host']}),
    graph: Flags.string({description: 'Print Gateway -> VirtualService -> Service -> pods as a diagram, broken links marked.', options: ['mermaid']}),
    bundle: Flags.string({description: 'Write resources (Secret values removed), config_dumps, clusters, stats and the report to this .tar.gz.'}),
    'config-dump': Flags.string({description: 'Analyse a saved Envoy config_dump JSON file offline (no cluster).', exclusive: ['skip-envoy', 'bundle', 'gateway']}),
    'envoy-timeout': Flags.string({description: 'Per Envoy admin request (e.g. 5s).', default: '5s'}),
    'traffic-window': Flags.string({
      description: "Judge the gateways' traffic (5xx, no route) on what their counters add over this window, read twice; 0 judges the counters since Envoy started.",
      default: '1s',
    }),
  }

  async run(): Promise<DoctorReport> {
    const {flags} = this
    const [{runDoctor, runDoctorOffline, failsOn}, {doctorChecks}, {doctorView}] = await Promise.all([
      import('../src/doctor/doctor.ts'),
      import('../plugins/doctor-checks/index.ts'),
      import('../src/ui/doctor-view.ts'),
    ])
    const trace = flags.host ? {host: flags.host.toLowerCase(), path: (flags.path ?? '/').startsWith('/') ? (flags.path ?? '/') : `/${flags.path}`, headers: parseHeaders(flags.header ?? [])} : undefined
    const graph = flags.graph as 'mermaid' | undefined
    const envoyTimeoutMs = parseDuration(flags['envoy-timeout'], '--envoy-timeout', {bareNumberUnit: 's'})
    const trafficWindowMs = parseDuration(flags['traffic-window'], '--traffic-window', {bareNumberUnit: 's'})
    const {report} = flags['config-dump']
      ? await runDoctorOffline(this.gwContext(), {configDump: flags['config-dump'], checks: doctorChecks, trace, graph})
      : await runDoctor(this.gwContext(), {
          namespace: flags.namespace,
          gateway: flags.gateway,
          skipEnvoy: flags['skip-envoy'],
          checks: doctorChecks,
          trace,
          graph,
          bundle: flags.bundle,
          envoyTimeoutMs,
          trafficWindowMs,
        })
    await this.print(report, doctorView)
    if (failsOn(report, flags['fail-on'] as 'error' | 'warning' | 'none')) this.setExitCode(1)
    return report
  }
}
