import type {GwContext} from '../context.ts'
import {ExitCode, GwError} from '../errors.ts'
import {KubeApiError} from '../kube/api-errors.ts'
import type {KubeClient} from '../kube/client.ts'
import type {KubeObject, Service} from '../kube/objects.ts'
import {servedIstioApis} from '../istio/api-versions.ts'
import {findGatewayWorkload, labelSelectorString, serviceSelects} from '../istio/gateway-workload.ts'
import {serviceRef} from '../istio/references.ts'
import {findIstiod} from '../version/version-info.ts'
import {X509Certificate} from 'node:crypto'
import {certificateHosts} from '../certs/hosts.ts'
import {secretMaterial, type Secret} from '../certs/secrets.ts'
import {defaultEgressSelector, dryRunWorkload, serviceKey, type ClusterFacts, type GatewayWorkloadFacts, type SecretFact, type ServicePortFact, type ServiceRef} from './facts.ts'
import {destinationRuleSpecs, referencedSubsets} from './plan.ts'
import {gatewayServers, routeDestinations} from './shorthand.ts'
import type {ScaffoldSpec} from './spec.ts'


function isForbidden(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 403
}

async function ownerDeployment(kube: KubeClient, namespace: string, podName: string): Promise<string | undefined> {
  const pod = await kube.get({apiVersion: 'v1', kind: 'Pod', namespace, name: podName})
  const replicaSet = pod?.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')
  if (!replicaSet) return pod?.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name
  const rs = await kube.get({apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace, name: replicaSet.name})
  return rs?.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name
}

/** The gateway pods for a selector: namespace, owning Deployment and the Service in front of them. */
async function detectWorkload(kube: KubeClient, selector: Record<string, string>, kind: 'ingress' | 'egress'): Promise<GatewayWorkloadFacts> {
  const workload = await findGatewayWorkload(kube, selector)
  const fallback = dryRunWorkload(selector, kind)
  if (!workload) return fallback
  const firstPod = workload.pods[0]
  const deployment = (firstPod && (await ownerDeployment(kube, workload.namespace, firstPod.name))) ?? fallback.deployment
  const services = await kube.list<Service>('v1', 'Service', {namespace: workload.namespace})
  const service = services.find((s) => serviceSelects(s.spec?.selector, workload.podLabels))
  const serviceHost = service ? `${service.metadata.name}.${workload.namespace}.svc.cluster.local` : `${deployment}.${workload.namespace}.svc.cluster.local`
  return {selector, namespace: workload.namespace, deployment, serviceHost, detected: true}
}

/** For a subset name, the label (preferring `version`) whose value equals it on the Service's pods. */
async function detectSubsetLabels(kube: KubeClient, service: Service, ref: ServiceRef, subset: string): Promise<Record<string, string> | undefined> {
  if (!service.spec?.selector) return undefined
  const pods = await kube.list('v1', 'Pod', {namespace: ref.namespace, labelSelector: labelSelectorString(service.spec.selector)})
  const keys = new Set(pods.flatMap((p) => Object.entries(p.metadata.labels ?? {}).filter(([, v]) => v === subset).map(([k]) => k)))
  const key = keys.has('version') ? 'version' : [...keys].sort()[0]
  return key ? {[key]: subset} : undefined
}

/** What a credential's certificate covers, so a reused one can be checked against the hosts asked for. */
function certificateHostsOf(secret: Secret): string[] | undefined {
  const pem = secretMaterial(secret).certificate?.pem
  if (!pem) return undefined
  try {
    return certificateHosts(new X509Certificate(pem))
  } catch {
    return undefined
  }
}

async function detectSecrets(kube: KubeClient, names: string[], workloadNamespace: string): Promise<SecretFact[]> {
  const facts: SecretFact[] = []
  for (const name of names) {
    let found: KubeObject[]
    try {
      found = await kube.list('v1', 'Secret', {fieldSelector: `metadata.name=${name}`})
    } catch (error) {
      if (!isForbidden(error)) throw error
      // Without cluster-wide list rights, look where Istio looks.
      const own = await kube.get({apiVersion: 'v1', kind: 'Secret', namespace: workloadNamespace, name})
      found = own ? [own] : []
    }
    for (const s of found) {
      const hosts = certificateHostsOf(s as Secret)
      facts.push({namespace: s.metadata.namespace ?? '', name, keys: Object.keys((s as {data?: object}).data ?? {}), ...(hosts ? {certificateHosts: hosts} : {})})
    }
  }
  return facts
}

/**
 * Asks the cluster what the spec depends on: served Istio API version and Istio version, the
 * gateway workload, destination Services and their ports, subset labels, credential secrets,
 * existing Gateways and scalers. Reads only; every answer lands in ClusterFacts.
 */
export async function detectClusterFacts(ctx: GwContext, spec: ScaffoldSpec, namespace: string, ingressSelector: Record<string, string>): Promise<ClusterFacts> {
  const kube = ctx.kube
  const served = servedIstioApis(await kube.discovery())
  const usesIstioApi = spec.api !== 'gateway-api' || spec.egress !== undefined
  if (usesIstioApi && !served.preferredNetworkingVersion) {
    throw new GwError('networking.istio.io is not served by this cluster: Istio is not installed', ExitCode.jobFailed, {hint: 'install Istio, or use --dry-run=client to only print the objects'})
  }
  const networkingApiVersion = `networking.istio.io/${served.preferredNetworkingVersion ?? 'v1'}`
  const {istio} = await findIstiod(ctx)
  const ingress = await detectWorkload(kube, spec.gateway?.selector ?? ingressSelector, 'ingress')
  const egress = spec.egress ? await detectWorkload(kube, spec.egress.selector ?? defaultEgressSelector, 'egress') : dryRunWorkload(defaultEgressSelector, 'egress')

  const services = new Map<string, ServicePortFact[] | undefined>()
  const serviceObjects = new Map<string, Service>()
  const hosts = new Set([
    ...(spec.virtualServices ?? []).flatMap((vs) => vs.routes.flatMap((r) => routeDestinations(r).map((d) => d.service))),
    ...destinationRuleSpecs(spec).map((dr) => dr.host),
  ])
  for (const host of hosts) {
    const ref = serviceRef(host, namespace)
    if (!ref || services.has(serviceKey(ref))) continue
    const service = await kube.get<Service>({apiVersion: 'v1', kind: 'Service', namespace: ref.namespace, name: ref.name})
    if (service) serviceObjects.set(serviceKey(ref), service)
    services.set(serviceKey(ref), service ? (service.spec?.ports ?? []).map((p) => ({name: p.name, port: p.port})) : undefined)
  }

  const subsetLabels = new Map<string, Record<string, string> | undefined>()
  const wanted = referencedSubsets(spec)
  for (const dr of spec.destinationRules ?? []) for (const s of dr.subsets ?? []) if (!s.labels) wanted.set(dr.host, [...(wanted.get(dr.host) ?? []), s.name])
  for (const [host, subsets] of wanted) {
    const ref = serviceRef(host, namespace)
    const service = ref && serviceObjects.get(serviceKey(ref))
    if (!ref || !service) continue
    for (const subset of subsets) subsetLabels.set(`${serviceKey(ref)}/${subset}`, await detectSubsetLabels(kube, service, ref, subset))
  }

  const credentials = [...new Set(gatewayServers(spec.gateway).flatMap((s) => (s.tls?.credential ? [s.tls.credential, `${s.tls.credential}-cacert`] : [])))]
  const secrets = await detectSecrets(kube, credentials, ingress.namespace)
  const gateways = usesIstioApi ? await kube.list(networkingApiVersion, 'Gateway') : []
  const replacesGateway = spec.gateway && !spec.gateway.existing && spec.api !== 'gateway-api'
  const virtualServices = replacesGateway ? await kube.list(networkingApiVersion, 'VirtualService') : []
  const scalers = spec.hpa ? await kube.list('autoscaling/v2', 'HorizontalPodAutoscaler', {namespace: ingress.namespace}) : []
  return {
    live: true,
    networkingApiVersion,
    istioVersion: istio?.version,
    gatewayApiServed: served.gatewayApiVersions.includes('v1'),
    ingress,
    egress,
    services,
    subsetLabels,
    secrets,
    gateways,
    virtualServices,
    scalers,
  }
}
