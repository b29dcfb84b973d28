import type {SandboxStatus} from '../sandbox/process.ts'
import type {TableView} from './render.ts'

/** `sandbox status`: one line per fact. */
export const sandboxStatusView: TableView<SandboxStatus> = {
  table: (status) => {
    if (!status.running) return [`Sandbox: not running (state ${status.stateDir})${status.note ? `: ${status.note}` : ''}`]
    return [
      `Sandbox: running (pid ${status.pid}) at ${status.url}`,
      `Istio: ${status.istioVersion} (world ${status.world}), started ${status.startedAt}`,
      `Kubeconfig: ${status.kubeconfig} (context ${status.context})`,
      `State: ${status.stateDir}`,
    ]
  },
}

/** `sandbox up`: where it runs and how to use it. */
export const sandboxUpView: TableView<SandboxStatus & {detached: boolean}> = {
  table: (status) => [
    `Sandbox ready at ${status.url} (simulated Kubernetes 1.32 with Istio ${status.istioVersion}, world ${status.world}).`,
    `Kubeconfig written to ${status.kubeconfig} (context ${status.context}); your own kubeconfig is unchanged.`,
    '',
    'Try it:',
    `  export KUBECONFIG=${status.kubeconfig}`,
    '  kubectl get pods -A',
    '  kubectl get gateways,virtualservices -A',
    '  kubectl gw version',
    '',
    status.detached ? `Running in the background (pid ${status.pid}); stop it with: kubectl gw sandbox down` : 'Press Ctrl-C to stop it (state is kept for the next `sandbox up`).',
  ],
}
