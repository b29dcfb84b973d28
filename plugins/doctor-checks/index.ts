// The registry of doctor checks, sorted by id (a meta-test keeps it sorted and complete): one file per check.
import type {DoctorCheck} from '../../src/doctor/check.ts'
import {destinationRuleSubsetPods} from './destinationrule-subset-pods.ts'
import {envoyAdmin} from './envoy-admin.ts'
import {envoyClusters} from './envoy-clusters.ts'
import {envoyListeners} from './envoy-listeners.ts'
import {envoyRejectedUpdates} from './envoy-rejected-updates.ts'
import {envoyRoutes} from './envoy-routes.ts'
import {envoySecrets} from './envoy-secrets.ts'
import {envoyTraffic} from './envoy-traffic.ts'
import {gatewayApiRoutes} from './gateway-api-routes.ts'
import {gatewayCredentials} from './gateway-credentials.ts'
import {gatewayHostConflicts} from './gateway-host-conflicts.ts'
import {gatewayPorts} from './gateway-ports.ts'
import {gatewaySelector} from './gateway-selector.ts'
import {ingressGatewayReady} from './ingress-gateway-ready.ts'
import {ingressServiceAddress} from './ingress-service-address.ts'
import {istioCrds} from './istio-crds.ts'
import {istiodReady} from './istiod-ready.ts'
import {istiodRejectedConfigs} from './istiod-rejected-configs.ts'
import {virtualServiceDestinations} from './virtualservice-destinations.ts'
import {virtualServiceGateways} from './virtualservice-gateways.ts'
import {virtualServiceRoutes} from './virtualservice-routes.ts'
import {virtualServiceSubsets} from './virtualservice-subsets.ts'

export const doctorChecks: readonly DoctorCheck[] = [
  destinationRuleSubsetPods,
  envoyAdmin,
  envoyClusters,
  envoyListeners,
  envoyRejectedUpdates,
  envoyRoutes,
  envoySecrets,
  envoyTraffic,
  gatewayApiRoutes,
  gatewayCredentials,
  gatewayHostConflicts,
  gatewayPorts,
  gatewaySelector,
  ingressGatewayReady,
  ingressServiceAddress,
  istioCrds,
  istiodReady,
  istiodRejectedConfigs,
  virtualServiceDestinations,
  virtualServiceGateways,
  virtualServiceRoutes,
  virtualServiceSubsets,
]
