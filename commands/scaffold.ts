import {Args, Flags} from '@oclif/core'
import type {ScaffoldResult} from '../src/scaffold/scaffold.ts'
import {ExitCode} from '../src/errors.ts'
import {GwCommand} from './base-command.ts'

const builderGroup = 'SCAFFOLD'
/** Flags that build the spec; -f replaces all of them. */
const builder = {helpGroup: builderGroup}
const builderFlags = ['host', 'service', 'route', 'tls', 'credential', 'generate-cert', 'https-redirect', 'subsets', 'weights', 'timeout', 'retries', 'per-try-timeout', 'retry-on', 'lb', 'rate-limit', 'hpa', 'pdb', 'gateway-wide', 'selector', 'api', 'egress']

export default class Scaffold extends GwCommand<typeof Scaffold> {
  static override summary = 'Generate, validate and apply a Gateway, VirtualServices and DestinationRules (plus rate limit, HPA, PDB, egress).'
  static override description = `Builds Istio (or Gateway API) objects from flags or a spec file (-f, see docs/scaffold-spec.md),
detects the gateway workload, Istio API version, Service ports and subset labels in the cluster,
validates everything before writing, then server-side applies (field manager kubectl-gw).
--dry-run=client needs no cluster: it uses networking.istio.io/v1, selector istio=ingressgateway,
namespace istio-system and port 80 unless given.`
  static override usage = [
    'scaffold NAME --host HOST... [--route MATCH=SVC[:PORT]...] [--service SVC[:PORT]] [--tls none|simple|mutual|passthrough --credential SECRET --generate-cert --https-redirect] [--subsets v1,v2 --weights v1=90,v2=10] [--timeout 30s --retries 3 --per-try-timeout 10s --retry-on ...] [--lb LEAST_REQUEST] [--rate-limit 100/s] [--hpa min=2,max=10,cpu=70] [--pdb min-available=1] [--selector k=v] [--api istio|gateway-api] [--egress HOST]',
    'scaffold -f spec.yaml',
    '... [--dry-run=none|client|server] [-o table|yaml|json [--show-secrets]] [--out-dir DIR | --diff] [--force-conflicts]',
  ]
  static override examples = [
    '<%= config.bin %> scaffold httpbin --host httpbin.example.com --service httpbin:8000',
    '<%= config.bin %> scaffold shop --host shop.example.com --route /api=api:8080 --route exact:/health=health:8080 --service web --tls simple --credential shop-cert --https-redirect',
    '<%= config.bin %> scaffold web --host web.example.com --host "*.apps.example.com" --service web --tls simple --generate-cert',
    '<%= config.bin %> scaffold app --host app.example.com --service app --subsets v1,v2 --weights v1=90,v2=10 --dry-run=client -o yaml',
    '<%= config.bin %> scaffold -f production.yaml --diff',
    '<%= config.bin %> scaffold cnn --egress edition.cnn.com --tls passthrough',
  ]
  static override args = {
    name: Args.string({description: 'Base name of the generated objects (the spec file\'s name: when -f is given).'}),
  }
  static override flags = {
    filename: Flags.string({char: 'f', description: 'Spec file (YAML) describing the gateway, routes and policies (docs/scaffold-spec.md).', helpGroup: builderGroup, exclusive: builderFlags}),
    host: Flags.string({...builder, description: 'Host the Gateway serves (repeatable; "*.example.com" allowed).', multiple: true}),
    service: Flags.string({...builder, description: 'Default route destination, SVC[:PORT]; last after every --route.'}),
    route: Flags.string({...builder, description: 'MATCH=SVC[:PORT] route, in order: /api (prefix), exact:/health, regex:/v[0-9]+/.* (repeatable).', multiple: true}),
    tls: Flags.string({...builder, description: 'TLS at the gateway (with --egress: simple = TLS origination at the egress gateway).', options: ['none', 'simple', 'mutual', 'passthrough']}),
    credential: Flags.string({...builder, description: "Secret with the server certificate, in the gateway workload's namespace (with --generate-cert default NAME-credential)."}),
    'generate-cert': Flags.boolean({
      ...builder,
      description: "With --tls simple|mutual: issue a CA and a server certificate for every --host (MUTUAL: ca.crt and a client certificate) as the --credential secret, in the gateway workload's namespace; an existing secret is reused.",
    }),
    'https-redirect': Flags.boolean({description: 'Add an HTTP server on 80 that redirects to HTTPS.', ...builder}),
    subsets: Flags.string({...builder, description: 'Subsets of --service, e.g. v1,v2 (pod label values, detected).'}),
    weights: Flags.string({...builder, description: 'Weights per subset, e.g. v1=90,v2=10.'}),
    timeout: Flags.string({...builder, description: 'Request timeout for every route, e.g. 30s.'}),
    retries: Flags.integer({description: 'Retry attempts for every route.', min: 0, ...builder}),
    'per-try-timeout': Flags.string({...builder, description: 'Timeout per retry attempt, e.g. 10s.'}),
    'retry-on': Flags.string({...builder, description: 'Envoy retry conditions and status codes, e.g. connect-failure,refused-stream,503.'}),
    lb: Flags.string({...builder, description: 'Load balancer of the --service destination.', options: ['ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH']}),
    'rate-limit': Flags.string({...builder, description: "Local rate limit at the gateway pods for this application's hosts, COUNT/UNIT, e.g. 100/s (with --gateway-wide: for every host)."}),
    hpa: Flags.string({...builder, description: 'Autoscale the shared gateway Deployment, e.g. min=2,max=10,cpu=70 (needs --gateway-wide).'}),
    pdb: Flags.string({...builder, description: 'Disruption budget for the shared gateway pods, e.g. min-available=1 (needs --gateway-wide).'}),
    'gateway-wide': Flags.boolean({...builder, description: 'Mean --hpa, --pdb and --rate-limit for the shared gateway workload as a whole (every Gateway on it).'}),
    selector: Flags.string({...builder, description: 'Gateway workload labels, k=v (default istio=ingressgateway).', multiple: true}),
    api: Flags.string({...builder, description: 'Object API to emit.', options: ['istio', 'gateway-api']}),
    egress: Flags.string({...builder, description: 'Scaffold the egress gateway pattern for this external host.'}),
    'dry-run': Flags.string({description: 'client: print only, no cluster; server: the server validates, nothing is stored.', options: ['none', 'client', 'server'], default: 'none'}),
    'out-dir': Flags.string({description: 'Write one YAML file per object into this directory instead of applying (with --dry-run=client no cluster is asked).'}),
    diff: Flags.boolean({description: 'Show a unified diff against the live objects instead of applying.', default: false, exclusive: ['out-dir']}),
    'force-conflicts': Flags.boolean({description: 'Take over objects and fields kubectl-gw did not create.', default: false}),
    'show-secrets': Flags.boolean({description: 'Print the private keys of generated secrets in -o yaml|json output instead of a placeholder.', default: false}),
  }

  async run(): Promise<ScaffoldResult | undefined> {
    const {readScaffoldInput} = await import('../src/scaffold/input.ts')
    const {runScaffold} = await import('../src/scaffold/scaffold.ts')
    const {omittedSecretsNote, scaffoldObjectsYaml, scaffoldView, shownResult, warningLines} = await import('../src/ui/scaffold-view.ts')
    const ctx = this.gwContext()
    const f = this.flags
    const dryRun = f['dry-run'] as 'none' | 'client' | 'server'
    const input = await readScaffoldInput({
      name: this.args.name,
      file: f.filename,
      flags: {
        hosts: f.host ?? [],
        service: f.service,
        routes: f.route ?? [],
        tls: f.tls as 'none' | 'simple' | 'mutual' | 'passthrough' | undefined,
        credential: f.credential,
        generateCert: f['generate-cert'],
        httpsRedirect: f['https-redirect'],
        subsets: f.subsets,
        weights: f.weights,
        timeout: f.timeout,
        retries: f.retries,
        perTryTimeout: f['per-try-timeout'],
        retryOn: f['retry-on'],
        lb: f.lb,
        rateLimit: f['rate-limit'],
        hpa: f.hpa,
        pdb: f.pdb,
        gatewayWide: f['gateway-wide'],
        selector: f.selector ?? [],
        api: f.api as 'istio' | 'gateway-api' | undefined,
        egress: f.egress,
      },
    })
    const namespace = f.namespace ?? (dryRun === 'client' ? await ctx.namespace().catch(() => 'default') : await ctx.namespace())
    const result = await runScaffold(ctx, {...input, namespace, dryRun, diff: f.diff, outDir: f['out-dir'], forceConflicts: f['force-conflicts']})
    for (const warning of warningLines(result)) ctx.io.stderr.write(`${warning}\n`)
    if (this.outputFormat === 'yaml') {
      const {yaml, omitted} = await scaffoldObjectsYaml(result, f['show-secrets'])
      if (omitted.length) ctx.io.stderr.write(`${omittedSecretsNote(omitted)}\n`)
      ctx.io.stdout.write(yaml)
    } else await this.print(shownResult(result, f['show-secrets']), scaffoldView)
    // As kubectl diff: exit 1 when applying would change something.
    if (result.mode === 'diff' && result.objects.some((o) => o.action !== 'unchanged')) this.setExitCode(ExitCode.jobFailed)
    return result
  }
}
