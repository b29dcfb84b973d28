import type {KubeObject} from '../kube/objects.ts'
import {buildGateway, type GatewayServer} from '../istio/builders/gateway.ts'
import {buildVirtualService} from '../istio/builders/virtual-service.ts'
import {buildDestinationRule} from '../istio/builders/destination-rule.ts'
import {buildServiceEntry, type ServiceEntryProps} from '../istio/builders/service-entry.ts'
import type {PlanInput} from './plan.ts'

/**
 * Istio's "Egress Gateways" task (seed 002): mesh traffic for an external host goes to the egress
 * gateway, and from there out. `none`: HTTP on 80 both ways; `passthrough`: the app's own TLS,
 * routed by SNI on 443; `originate`: the app speaks HTTP on 80, the sidecar-to-gateway hop is
 * ISTIO_MUTUAL and the egress gateway opens TLS to the host on 443.
 */
export function planEgress(input: PlanInput): KubeObject[] {
  const {spec, facts, namespace} = input
  const egress = spec.egress
  if (!egress) return []
  const apiVersion = facts.networkingApiVersion
  const base = egress.name ?? spec.name
  const host = egress.host
  const mode = egress.tls ?? 'none'
  const gatewayRef = `${base}-egressgateway`
  const egressService = facts.egress.serviceHost
  const subset = base
  const meshPort = mode === 'passthrough' ? 443 : 80

  const ports: ServiceEntryProps['ports'] =
    mode === 'passthrough'
      ? [{number: 443, name: 'tls', protocol: 'TLS'}]
      : [
          {number: 80, name: 'http-port', protocol: 'HTTP'},
          {number: 443, name: 'https', protocol: 'HTTPS'},
        ]
  const server: GatewayServer =
    mode === 'passthrough'
      ? {port: {number: 443, name: 'tls', protocol: 'TLS'}, hosts: [host], tls: {mode: 'PASSTHROUGH'}}
      : mode === 'originate'
        ? {port: {number: 80, name: 'https-port-for-tls-origination', protocol: 'HTTPS'}, hosts: [host], tls: {mode: 'ISTIO_MUTUAL'}}
        : {port: {number: 80, name: 'http', protocol: 'HTTP'}, hosts: [host]}

  const toGateway = [{host: egressService, subset, port: meshPort, weight: 100}]
  const outward = [{host, port: mode === 'none' ? 80 : 443, weight: 100}]
  const objects = [
    buildServiceEntry({apiVersion, name: base, namespace, hosts: [host], ports, resolution: 'DNS'}),
    buildGateway({apiVersion, name: gatewayRef, namespace, selector: facts.egress.selector, servers: [server]}),
    buildDestinationRule({
      apiVersion,
      name: `${base}-egressgateway`,
      namespace,
      host: egressService,
      subsets: [
        {
          name: subset,
          trafficPolicy: mode === 'originate' ? {loadBalancer: {simple: 'ROUND_ROBIN'}, portLevelSettings: [{port: {number: 80}, tls: {mode: 'ISTIO_MUTUAL', sni: host}}]} : undefined,
        },
      ],
    }),
    buildVirtualService({
      apiVersion,
      name: `${base}-through-egress-gateway`,
      namespace,
      hosts: [host],
      gateways: [gatewayRef, 'mesh'],
      http:
        mode === 'passthrough'
          ? undefined
          : [
              {match: [{gateways: ['mesh'], port: 80}], route: toGateway},
              {match: [{gateways: [gatewayRef], port: 80}], route: outward},
            ],
      tls:
        mode === 'passthrough'
          ? [
              {match: [{gateways: ['mesh'], port: 443, sniHosts: [host]}], route: toGateway},
              {match: [{gateways: [gatewayRef], port: 443, sniHosts: [host]}], route: outward},
            ]
          : undefined,
    }),
  ]
  if (mode === 'originate') {
    objects.push(
      buildDestinationRule({
        apiVersion,
        name: `${base}-originate-tls`,
        namespace,
        host,
        trafficPolicy: {loadBalancer: {simple: 'ROUND_ROBIN'}, portLevelSettings: [{port: {number: 443}, tls: {mode: 'SIMPLE', sni: host}}]},
      }),
    )
  }
  return objects
}
