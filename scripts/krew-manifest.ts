// The krew plugin manifest of a release (krew.googlecontainertools.github.com/v1alpha2, kind Plugin),
// written from the archives the release built: one platform entry per archive, with its sha256.
import {stringify} from 'yaml'
import type {Platform} from './sea.ts'

export interface ReleasedArchive {
  platform: Platform
  /** File name of the archive, e.g. kubectl-gw_v0.1.0_linux_amd64.tar.gz */
  file: string
  sha256: string
  /** The executable inside the archive. */
  bin: string
}

export const krewPluginName = 'gw'

export function archiveName(version: string, platform: Platform): string {
  return `kubectl-gw_v${version}_${platform.os}_${platform.arch}.tar.gz`
}

export function krewManifest(options: {version: string; homepage: string; downloadBase: string; archives: ReleasedArchive[]}): string {
  const manifest = {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: {name: krewPluginName},
    spec: {
      version: `v${options.version}`,
      homepage: options.homepage,
      shortDescription: 'Scaffold, certify, canary and diagnose Istio ingress gateways',
      description: `Tools for the people who run Istio ingress gateways:
  scaffold   generate and apply Gateway, VirtualService and DestinationRule
  certs      create, inspect and rotate gateway credential secrets
  canary     shift traffic stepwise with metric gates and rollback
  doctor     find why ingress traffic fails, from config and live Envoy
  sandbox    a simulated Istio cluster on 127.0.0.1 to try it all on
`,
      caveats: `Try it with no cluster: kubectl gw sandbox up --detach
Shell completion of kubectl gw (kubectl >= 1.26) needs kubectl_complete-gw
on PATH, which krew cannot install; link it to the plugin once:
  ln -s "$(readlink -f "$(command -v kubectl-gw)")" "$(dirname "$(command -v kubectl-gw)")/kubectl_complete-gw"
`,
      platforms: [...options.archives]
        .sort((a, b) => `${a.platform.os}/${a.platform.arch}`.localeCompare(`${b.platform.os}/${b.platform.arch}`))
        .map((archive) => ({
          selector: {matchLabels: {os: archive.platform.os, arch: archive.platform.arch}},
          uri: `${options.downloadBase}/${archive.file}`,
          sha256: archive.sha256,
          bin: archive.bin,
          files: [
            {from: archive.bin, to: '.'},
            {from: 'LICENSE', to: '.'},
          ],
        })),
    },
  }
  return stringify(manifest, {lineWidth: 0})
}
