import {Args, Flags} from '@oclif/core'
import {GwCommand} from '../base-command.ts'
import {UsageError} from '../../src/errors.ts'
import type {InspectReport} from '../../src/certs/inspect.ts'
import {defaultIngressSelector, labelSelectorString} from '../../src/istio/gateway-workload.ts'

export default class CertsInspect extends GwCommand<typeof CertsInspect> {
  static override summary = 'Inspect TLS secrets: certificate, SANs, validity, key match, chain, and the Gateways that use them.'
  static override description = `Without SECRET, inspects every TLS-looking secret (type kubernetes.io/tls, a tls.crt or cert key, or a
NAME-cacert secret) in the namespace: -n, else the gateway workload's namespace (--selector), else the
context's namespace; -A for all namespaces. For each Gateway server naming the secret (credentialName or
credentialNames, resolved in the namespace of the gateway pods as Istio does) it checks that the
certificate's SANs cover the server's hosts.

Exits 1 when an error-level finding exists (expired, host or key mismatch, MUTUAL without CA, unreadable
secret, secret in the wrong namespace), 0 otherwise.`
  static override examples = [
    '<%= config.bin %> certs inspect httpbin-credential',
    '<%= config.bin %> certs inspect -A -o wide',
    '<%= config.bin %> certs inspect -n istio-system -o json',
  ]
  static override args = {
    secret: Args.string({description: 'Secret to inspect; all TLS secrets of the namespace when omitted.'}),
  }
  static override flags = {
    'all-namespaces': Flags.boolean({char: 'A', description: 'Inspect TLS secrets in all namespaces.', default: false}),
    selector: Flags.string({description: 'Labels of the gateway pods, to find the default namespace.', default: labelSelectorString(defaultIngressSelector)}),
  }

  async run(): Promise<InspectReport> {
    const {flags} = this
    if (flags['all-namespaces'] && flags.namespace) throw new UsageError('-A/--all-namespaces cannot be combined with -n/--namespace')
    if (flags['all-namespaces'] && this.args.secret) throw new UsageError('a secret name cannot be combined with -A/--all-namespaces', {hint: 'pass -n NAMESPACE'})
    const [{inspectCredentials}, {parseSelector}, {inspectView}] = await Promise.all([
      import('../../src/certs/inspect.ts'),
      import('../../src/certs/placement.ts'),
      import('../../src/ui/certs-view.ts'),
    ])
    const selector = parseSelector(flags.selector)
    const report = await inspectCredentials(this.gwContext(), {
      name: this.args.secret,
      namespaceFlag: flags.namespace,
      allNamespaces: flags['all-namespaces'],
      selector,
    })
    await this.print(report, inspectView)
    if (report.summary.errors > 0) this.setExitCode(1)
    return report
  }
}
