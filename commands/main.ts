// The bundle's entry: oclif itself, bundled with the commands so that both share one copy.
export {flush, run} from '@oclif/core'
