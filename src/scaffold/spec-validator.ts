import {Ajv} from 'ajv'

export interface SchemaError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
  parentSchema?: Record<string, unknown>
}

export type Validator = ((data: unknown) => boolean) & {errors?: SchemaError[] | null}

/** Compiles a JSON schema with every error reported at once. Loaded on first use (ajv is large). */
export function compileValidator(schema: object): Validator {
  const ajv = new Ajv({allErrors: true, verbose: true, strict: false})
  return ajv.compile(schema) as unknown as Validator
}
