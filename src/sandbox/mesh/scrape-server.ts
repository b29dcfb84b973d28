import http from 'node:http'
import type {AddressInfo} from 'node:net'
import type {SimulatedMesh} from '../mesh-contract.ts'

/**
 * The sandbox's Prometheus target: plain HTTP on 127.0.0.1, `/metrics` (and `/stats/prometheus`)
 * serving every simulated proxy's series with the `namespace` and `pod` labels a Kubernetes scrape
 * config would add.
 */

export interface ScrapeServer {
  url: string
  port: number
  close(): Promise<void>
}

export async function startScrapeServer(mesh: SimulatedMesh, options: {port?: number} = {}): Promise<ScrapeServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {'content-type': 'text/plain'}).end('method not allowed\n')
      return
    }
    if (path !== '/metrics' && path !== '/stats/prometheus') {
      res.writeHead(404, {'content-type': 'text/plain'}).end('404 page not found\n')
      return
    }
    const body = mesh.scrape()
    res.writeHead(200, {'content-type': 'text/plain; version=0.0.4; charset=utf-8'}).end(req.method === 'HEAD' ? undefined : body)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** The prometheus.yml job `sandbox up` prints for this endpoint. */
export function scrapeConfig(port: number, intervalSeconds = 5): string {
  return [
    'scrape_configs:',
    '  - job_name: kubectl-gw-sandbox',
    `    scrape_interval: ${intervalSeconds}s`,
    '    metrics_path: /metrics',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${port}']`,
    '',
  ].join('\n')
}
