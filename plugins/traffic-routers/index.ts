import type {TrafficRouter} from '../../src/canary/router.ts'
import {gatewayApiHttpRouteRouter} from './gateway-api-httproute.ts'
import {istioVirtualServiceRouter} from './istio-virtualservice.ts'

/** Every traffic router, one line each; a new one is one file implementing TrafficRouter (src/canary/router.ts). */
export const trafficRouters: readonly TrafficRouter[] = [gatewayApiHttpRouteRouter, istioVirtualServiceRouter]
