import {Args, Flags} from '@oclif/core'
import {GwCommand} from '../base-command.ts'
import {UsageError} from '../../src/errors.ts'
import type {CreateCredentialResult} from '../../src/certs/create.ts'
import {dryRunModes, keyTypes} from '../../src/certs/options.ts'
import {defaultIngressSelector, labelSelectorString} from '../../src/istio/gateway-workload.ts'

export default class CertsCreate extends GwCommand<typeof CertsCreate> {
  static override summary = "Create a CA, a server certificate (and client certificates for MUTUAL) and the gateway's credential secrets."
  static override description = `Issues a server certificate whose SANs are the --host values (wildcards allowed, IPs become IP SANs,
CN = first host), signed by a new CA, a CA given as --ca-cert/--ca-key files, or a CA kept in a secret
(--ca-secret). With --mutual, also issues client certificates (--client NAME, default one named "client").

Writes secrets in the format Istio reads (kubernetes.io/tls with tls.crt/tls.key, plus ca.crt for MUTUAL, or a
separate SECRET-cacert secret with --separate-ca-secret) into the namespace of the gateway pods (found with
--selector, default istio=ingressgateway), because that is the only namespace Istio reads credentials from.
A generated CA is kept in SECRET-ca so that "certs rotate" can re-issue from it; client credentials go to
SECRET-client-NAME. Existing secrets and files are never replaced without --overwrite.

--dry-run=client needs no cluster: the namespace is -n or istio-system.`
  static override examples = [
    '<%= config.bin %> certs create httpbin-credential --host httpbin.example.com',
    '<%= config.bin %> certs create httpbin-credential --host httpbin.example.com --mutual --client alice --out-dir ./certs',
    '<%= config.bin %> certs create wildcard-credential --host "*.example.com" --key-type rsa-2048 --dry-run=client -o yaml',
  ]
  static override args = {
    secret: Args.string({description: 'Name of the credential secret (the Gateway\'s tls.credentialName).', required: true}),
  }
  static override flags = {
    host: Flags.string({description: 'Host the server certificate is for (SAN); repeatable. Wildcards like *.example.com and IPs allowed.', multiple: true, required: true}),
    mutual: Flags.boolean({description: 'MUTUAL TLS: add the CA for verifying clients and issue client certificates.', default: false}),
    client: Flags.string({description: 'Client certificate to issue (CN); repeatable. Default with --mutual: one named "client".', multiple: true}),
    'separate-ca-secret': Flags.boolean({description: 'MUTUAL: put the CA in SECRET-cacert (key cacert) instead of ca.crt in the credential secret.', default: false}),
    'key-type': Flags.string({description: 'Key type of every key generated.', options: [...keyTypes], default: 'ecdsa-p256'}),
    days: Flags.string({description: 'Validity of the server and client certificates, in days.', default: '365'}),
    'ca-cert': Flags.string({description: 'PEM file of the CA certificate to sign with (with --ca-key).'}),
    'ca-key': Flags.string({description: 'PEM file of the CA private key (with --ca-cert).'}),
    'ca-secret': Flags.string({description: 'Secret (in the target namespace) holding the CA as tls.crt/tls.key, e.g. another credential\'s SECRET-ca.'}),
    'out-dir': Flags.string({description: 'Also write the PEM files there (ca.crt, tls.crt, tls.key, client-NAME.crt/.key; keys 0600).'}),
    overwrite: Flags.boolean({description: 'Replace existing secrets and files (guarded by resourceVersion).', default: false}),
    'dry-run': Flags.string({description: 'client: print only, no cluster; server: send with dryRun, nothing stored.', options: [...dryRunModes], default: 'none'}),
    'show-secrets': Flags.boolean({description: 'Print private keys in -o yaml|json output instead of a placeholder.', default: false}),
    selector: Flags.string({description: 'Labels of the gateway pods, to find their namespace.', default: labelSelectorString(defaultIngressSelector)}),
  }

  async run(): Promise<CreateCredentialResult> {
    const {flags} = this
    const [{createCredential, validateCreateFlags}, {parseSelector}, {createView, renderCreatedObjects}] = await Promise.all([
      import('../../src/certs/create.ts'),
      import('../../src/certs/placement.ts'),
      import('../../src/ui/certs-view.ts'),
    ])
    const request = validateCreateFlags({
      name: this.args.secret,
      hosts: flags.host,
      keyType: flags['key-type'],
      days: flags.days,
      mutual: flags.mutual,
      clients: flags.client ?? [],
      separateCaSecret: flags['separate-ca-secret'],
      caCert: flags['ca-cert'],
      caKey: flags['ca-key'],
      caSecret: flags['ca-secret'],
      outDir: flags['out-dir'],
      overwrite: flags.overwrite,
      dryRun: flags['dry-run'],
      namespace: flags.namespace,
      selector: parseSelector(flags.selector),
    })
    const format = this.outputFormat
    if (format === 'wide') throw new UsageError('-o wide is not available for certs create', {hint: 'use -o table, yaml or json'})
    const result = await createCredential(this.gwContext(), request)
    if (format === 'yaml' || format === 'json') this.gwContext().io.stdout.write(await renderCreatedObjects(result, format, flags['show-secrets']))
    else await this.print(result, createView)
    return result
  }
}
