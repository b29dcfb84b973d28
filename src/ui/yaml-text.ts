import {stringify} from 'yaml'

/** YAML as kubectl prints it: no line folding. Loaded on demand through render.ts. */
export function yamlText(value: unknown): string {
  return stringify(value, {lineWidth: 0})
}
