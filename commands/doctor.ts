import {Flags} from '@oclif/core'
import type {DoctorReport} from '../src/doctor/doctor.ts'
import {GwCommand} from './base-command.ts'

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
  ]
  static override flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'Report findings in all namespaces (the default; the cluster is always read whole).', default: false, exclusive: ['namespace']}),
    gateway: Flags.string({description: 'Report only findings of this Gateway (NAME or NAMESPACE/NAME).'}),
    'skip-envoy': Flags.boolean({description: 'Do not read Envoy admin on the gateway pods (static checks only).', default: false}),
    'fail-on': Flags.string({description: 'Exit 1 when a finding at or above this level exists.', options: ['error', 'warning', 'none'], default: 'error'}),
  }

  async run(): Promise<DoctorReport> {
    const {flags} = this
    const [{runDoctor, failsOn}, {doctorChecks}, {doctorView}] = await Promise.all([
      import('../src/doctor/doctor.ts'),
      import('../plugins/doctor-checks/index.ts'),
      import('../src/ui/doctor-view.ts'),
    ])
    const {report} = await runDoctor(this.gwContext(), {
      namespace: flags.namespace,
      gateway: flags.gateway,
      skipEnvoy: flags['skip-envoy'],
      checks: doctorChecks,
    })
    await this.print(report, doctorView)
    if (failsOn(report, flags['fail-on'] as 'error' | 'warning' | 'none')) this.setExitCode(1)
    return report
  }
}
