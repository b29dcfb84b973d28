import {Args, Flags} from '@oclif/core'
import {GwCommand} from '../base-command.ts'
import {UsageError} from '../../src/errors.ts'
import {dryRunModes} from '../../src/certs/options.ts'
import type {RotateResult} from '../../src/certs/rotate.ts'
import {defaultIngressSelector, labelSelectorString} from '../../src/istio/gateway-workload.ts'

export default class CertsRotate extends GwCommand<typeof CertsRotate> {
  static override summary = 'Re-issue the server certificate of a credential secret from the same CA, replacing it in place.'
  static override description = `Keeps the SANs (unless --host names new ones) and key type of the current certificate, generates a new key, signs with the CA that
"certs create" recorded (SECRET-ca, or the --ca-secret it was given), or with --ca-cert/--ca-key for a
credential made from CA files. The secret is replaced with a resourceVersion-guarded update: it never
disappears, and a concurrent change is re-read rather than overwritten. ca.crt and client certificates
stay valid because the CA is unchanged.`
  static override examples = [
    '<%= config.bin %> certs rotate httpbin-credential',
    '<%= config.bin %> certs rotate httpbin-credential --days 90 -o json',
    '<%= config.bin %> certs rotate bank-credential --host bank.example.com --host bank2.example.com',
  ]
  static override args = {
    secret: Args.string({description: 'Credential secret to rotate.', required: true}),
  }
  static override flags = {
    days: Flags.string({description: 'Validity of the new certificate in days (default: that of the current one).'}),
    host: Flags.string({description: 'Host the new certificate names (repeatable; replaces the current SANs, default: keep them).', multiple: true}),
    'ca-cert': Flags.string({description: 'PEM file of the CA certificate, for credentials made from CA files.'}),
    'ca-key': Flags.string({description: 'PEM file of the CA private key.'}),
    'dry-run': Flags.string({description: 'client: issue and report, write nothing; server: send with dryRun.', options: [...dryRunModes], default: 'none'}),
    selector: Flags.string({description: 'Labels of the gateway pods, to find their namespace.', default: labelSelectorString(defaultIngressSelector)}),
  }

  async run(): Promise<RotateResult> {
    const {flags} = this
    const [{parseDays, parseDryRun}, {parseSelector}, {rotateCredential}, {validateSecretName}, {rotateView}, {validateHosts}] = await Promise.all([
      import('../../src/certs/create.ts'),
      import('../../src/certs/placement.ts'),
      import('../../src/certs/rotate.ts'),
      import('../../src/certs/secrets.ts'),
      import('../../src/ui/certs-view.ts'),
      import('../../src/certs/hosts.ts'),
    ])
    validateSecretName(this.args.secret, 'secret name')
    const caCert = flags['ca-cert']
    const caKey = flags['ca-key']
    if ((caCert === undefined) !== (caKey === undefined)) throw new UsageError('--ca-cert and --ca-key go together: a CA is its certificate and its key')
    const request = {
      name: this.args.secret,
      days: flags.days === undefined ? undefined : parseDays(flags.days),
      hosts: flags.host ? validateHosts(flags.host) : undefined,
      caFiles: caCert && caKey ? {certificatePath: caCert, privateKeyPath: caKey} : undefined,
      dryRun: parseDryRun(flags['dry-run']),
      namespaceFlag: flags.namespace,
      selector: parseSelector(flags.selector),
    }
    if (this.outputFormat === 'wide') throw new UsageError('-o wide is not available for certs rotate', {hint: 'use -o table, yaml or json'})
    const result = await rotateCredential(this.gwContext(), request)
    await this.print(result, rotateView)
    return result
  }
}
