import type {VersionInfo} from '../version/version-info.ts'
import type {TableView} from './render.ts'

export const versionView: TableView<VersionInfo> = {
  table: (info) => versionLines(info),
}

function versionLines(info: VersionInfo): string[] {
  const lines = [`Client Version: ${info.client.version} (node ${info.client.node}, ${info.client.platform})`]
  const server = info.server
  if (server) {
    lines.push(`Server Version: ${server.kubernetes} (context ${server.context}, ${server.server})`)
    if (server.istio) {
      const where = `${server.istio.istiod.namespace}/${server.istio.istiod.name}`
      lines.push(`Istio Version: ${server.istio.version ?? 'unknown'} (${where}${server.istio.source ? `, from ${server.istio.source}` : ''})`)
    } else {
      lines.push(`Istio Version: not detected (${server.istioProblem ?? 'unknown reason'})`)
    }
    lines.push(`Istio networking APIs: ${server.networkingIstioVersions.length ? server.networkingIstioVersions.map((v) => `networking.istio.io/${v}`).join(', ') : 'none'}`)
    lines.push(`Gateway API: ${server.gatewayApiVersions.length ? server.gatewayApiVersions.map((v) => `gateway.networking.k8s.io/${v}`).join(', ') : 'not installed'}`)
  }
  return lines
}
