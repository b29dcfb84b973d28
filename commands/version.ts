import {Flags} from '@oclif/core'
import {collectVersionInfo, type VersionInfo} from '../src/version/version-info.ts'
import {versionView} from '../src/ui/version-view.ts'
import {GwCommand} from './base-command.ts'

export default class Version extends GwCommand<typeof Version> {
  static override summary = 'Print the client version, and the cluster, Istio and API versions it talks to.'
  static override description = `Without --client it also asks the cluster for its Kubernetes version, the Istio version
(read from istiod's image tag or version labels) and which networking.istio.io and Gateway API
versions are served.`
  static override examples = ['<%= config.bin %> version --client', '<%= config.bin %> version -o json']
  static override flags = {
    client: Flags.boolean({description: 'Print the client version only; no cluster is contacted.', default: false}),
  }

  async run(): Promise<VersionInfo> {
    const info = await collectVersionInfo(this.gwContext(), {
      client: {version: this.config.version, node: process.version, platform: `${process.platform}/${process.arch}`},
      clientOnly: this.flags.client,
    })
    await this.print(info, versionView)
    return info
  }
}
