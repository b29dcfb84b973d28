import type {KubeObject} from '../../kube/objects.ts'
import {kubeObject, type ObjectIdentity} from './meta.ts'

export interface HorizontalPodAutoscalerProps extends ObjectIdentity {
  deployment: string
  minReplicas: number
  maxReplicas: number
  /** Target average CPU utilisation, percent of requests. */
  cpuUtilization: number
}

/** autoscaling/v2 HPA scaling the gateway Deployment on CPU (seed 001). */
export function buildHorizontalPodAutoscaler(props: HorizontalPodAutoscalerProps): KubeObject {
  return kubeObject('autoscaling/v2', 'HorizontalPodAutoscaler', props, {
    spec: {
      scaleTargetRef: {apiVersion: 'apps/v1', kind: 'Deployment', name: props.deployment},
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [{type: 'Resource', resource: {name: 'cpu', target: {type: 'Utilization', averageUtilization: props.cpuUtilization}}}],
    },
  })
}

export interface PodDisruptionBudgetProps extends ObjectIdentity {
  selector: Record<string, string>
  /** A count (1) or a percentage ("50%"). */
  minAvailable?: number | string
  maxUnavailable?: number | string
}

/** policy/v1 PDB keeping gateway pods up through voluntary disruptions (seed 001). */
export function buildPodDisruptionBudget(props: PodDisruptionBudgetProps): KubeObject {
  return kubeObject('policy/v1', 'PodDisruptionBudget', props, {
    spec: {minAvailable: props.minAvailable, maxUnavailable: props.maxUnavailable, selector: {matchLabels: props.selector}},
  })
}
