/** metav1.Status failures, as a real API server reports them. */
export interface StatusCause {
  reason?: string
  message: string
  field?: string
}

export class ApiStatusError extends Error {
  readonly code: number
  readonly reason: string
  readonly details?: {name?: string; group?: string; kind?: string; causes?: StatusCause[]}
  constructor(code: number, reason: string, message: string, details?: ApiStatusError['details']) {
    super(message)
    this.code = code
    this.reason = reason
    this.details = details
  }

  toStatus(): Record<string, unknown> {
    return {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, ...(this.details ? {details: this.details} : {}), code: this.code}
  }
}

/** "deployments.apps" / "pods": how messages name a resource. */
export function qualified(plural: string, group: string): string {
  return group ? `${plural}.${group}` : plural
}

export function notFound(plural: string, group: string, name: string): ApiStatusError {
  return new ApiStatusError(404, 'NotFound', `${qualified(plural, group)} "${name}" not found`, {name, group: group || undefined, kind: plural})
}

export function alreadyExists(plural: string, group: string, name: string): ApiStatusError {
  return new ApiStatusError(409, 'AlreadyExists', `${qualified(plural, group)} "${name}" already exists`, {name, group: group || undefined, kind: plural})
}

export function conflict(plural: string, group: string, name: string, why: string): ApiStatusError {
  return new ApiStatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(plural, group)} "${name}": ${why}`, {name, group: group || undefined, kind: plural})
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiStatusError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(', ')
  const qualifiedKind = group ? `${kind}.${group}` : kind
  return new ApiStatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${causes.length > 1 ? `[${summary}]` : summary}`, {name, group: group || undefined, kind, causes})
}

export function badRequest(message: string): ApiStatusError {
  return new ApiStatusError(400, 'BadRequest', message)
}
