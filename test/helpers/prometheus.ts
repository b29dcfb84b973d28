import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'
import {scrapeConfig} from '../../src/sandbox/mesh/scrape-server.ts'
import {skipUnlessInstalled} from './paths.ts'

/** Debian's prometheus (CI installs it). */
export const prometheusBin = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => fs.existsSync(p))

/** Skip locally when Prometheus is missing; under CI=true a missing binary fails the suite instead. */
export const prometheusSkip = skipUnlessInstalled(prometheusBin, 'prometheus (apt-get install prometheus)')

export function requirePrometheus(): string {
  if (!prometheusBin) throw new Error('the prometheus binary is missing: apt-get install prometheus (.ci/run installs it)')
  return prometheusBin
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

export interface RunningPrometheus {
  url: string
  log(): string
  /** PromQL instant query; undefined while it has no answer. */
  query(promql: string): Promise<number | undefined>
  stop(): Promise<void>
}

/** A real Prometheus on 127.0.0.1 scraping `metricsUrl` every `scrapeSeconds`, with a temp data dir. */
export async function startPrometheus(metricsUrl: string, scrapeSeconds = 1): Promise<RunningPrometheus> {
  const bin = requirePrometheus()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-prom-'))
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const config = path.join(dir, 'prometheus.yml')
  // Prometheus reads durations like 500ms or 1s, not 0.5s.
  const every = `${Math.round(scrapeSeconds * 1000)}ms`
  fs.writeFileSync(config, `global:\n  scrape_interval: ${every}\n  evaluation_interval: ${every}\n${scrapeConfig(metricsUrl, scrapeSeconds).replace(/scrape_interval: \S+/, `scrape_interval: ${every}`)}`)
  let log = ''
  const child: ChildProcess = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=1h'], {stdio: ['ignore', 'pipe', 'pipe']})
  child.stderr!.on('data', (chunk) => (log += String(chunk)))
  const query = async (promql: string) => {
    try {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)
      const body = (await response.json()) as {status: string; data: {result: {value: [number, string]}[]}}
      const value = body.status === 'success' && body.data.result.length > 0 ? Number(body.data.result[0]!.value[1]) : undefined
      return value === undefined || Number.isNaN(value) ? undefined : value
    } catch {
      return undefined
    }
  }
  return {
    url,
    log: () => log,
    query,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      fs.rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** Asks `query` until it answers (bounded): Prometheus needs a scrape or two before it knows anything. */
export async function untilAnswered(prometheus: RunningPrometheus, promql: string, attempts = 60): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const value = await prometheus.query(promql)
    if (value !== undefined) return value
    await delay(250)
  }
  throw new Error(`Prometheus gave no answer to ${promql}; its log:\n${prometheus.log().slice(-2000)}`)
}
