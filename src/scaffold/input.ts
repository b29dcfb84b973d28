import {readInputFile} from '../local-files.ts'
import {UsageError} from '../errors.ts'
import {defaultIngressSelector} from '../istio/gateway-workload.ts'
import {flagLocator, type Locator} from './locate.ts'
import {flagsToSpec, parseKeyValues, type ScaffoldFlags} from './flags-to-spec.ts'
import {parseSpecText} from './parse-spec.ts'
import type {ScaffoldSpec} from './spec.ts'

export interface ScaffoldInput {
  spec: ScaffoldSpec
  locate: Locator
  ingressSelector: Record<string, string>
}

/** The spec from -f FILE or from the flags, with a locator that names the line or flag of any part. */
export async function readScaffoldInput(options: {name?: string; file?: string; flags: ScaffoldFlags}): Promise<ScaffoldInput> {
  const selector = options.flags.selector.length ? parseKeyValues(options.flags.selector.join(','), '--selector', 'istio=ingressgateway') : defaultIngressSelector
  if (options.file) {
    let text: string
    try {
      text = await readInputFile(options.file, '-f')
    } catch (error) {
      if (error instanceof UsageError) throw error
      throw new UsageError(`-f ${options.file}: cannot read the spec file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, {hint: 'check the path'})
    }
    const parsed = await parseSpecText(text, options.file)
    if (options.name && options.name !== parsed.spec.name) {
      throw new UsageError(`NAME ${options.name} differs from name: ${parsed.spec.name} in ${options.file}`, {hint: 'drop NAME when using -f, or make them equal'})
    }
    return {...parsed, ingressSelector: parsed.spec.gateway?.selector ?? selector}
  }
  if (!options.name) throw new UsageError('missing NAME', {hint: 'kubectl gw scaffold NAME --host HOST --service SVC, or -f spec.yaml'})
  const {spec, origins} = flagsToSpec(options.name, options.flags)
  return {spec, locate: flagLocator(origins, 'flags'), ingressSelector: selector}
}
