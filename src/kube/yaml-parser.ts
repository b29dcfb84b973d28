// The full YAML parser, for kubeconfigs outside the block subset (block-yaml.ts). Imported through
// this module because a split bundle gives import() of a CommonJS package only its default export.
export {parse} from 'yaml'
