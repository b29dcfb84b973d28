import {ExitCode, GwError, type ExitCodeValue} from '../errors.ts'

/** What a request was trying to do, so that failures can say it the way `kubectl auth can-i` would. */
export interface RequestIntent {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'apply'
  /** Plural resource with its group, e.g. "virtualservices.networking.istio.io" or "pods". */
  resource: string
  namespace?: string
  name?: string
  subresource?: string
}

/** A metav1.Status cause: the field that was wrong and why. */
export interface StatusCause {
  field?: string
  message?: string
  reason?: string
}

export interface KubeStatus {
  kind?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: {name?: string; kind?: string; group?: string; causes?: StatusCause[]}
}

/** An error answered by the API server (HTTP status >= 400). */
export class KubeApiError extends GwError {
  readonly status: number
  readonly reason: string
  readonly causes: StatusCause[]
  readonly intent: RequestIntent
  constructor(message: string, exitCode: ExitCodeValue, status: number, reason: string, causes: StatusCause[], intent: RequestIntent, hint?: string) {
    super(message, exitCode, {hint})
    this.name = 'KubeApiError'
    this.status = status
    this.reason = reason
    this.causes = causes
    this.intent = intent
  }
}

const reasonByStatus: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

export function parseStatus(body: Buffer | string): KubeStatus | undefined {
  try {
    const parsed = JSON.parse(body.toString()) as KubeStatus
    return parsed && typeof parsed === 'object' && parsed.kind === 'Status' ? parsed : undefined
  } catch {
    return undefined
  }
}

function scope(intent: RequestIntent): string {
  return intent.namespace ? ` -n ${intent.namespace}` : ''
}

function describeTarget(intent: RequestIntent): string {
  const sub = intent.subresource ? `/${intent.subresource}` : ''
  const name = intent.name ? ` "${intent.name}"` : ''
  const where = intent.namespace ? ` in namespace "${intent.namespace}"` : ''
  return `${intent.resource}${sub}${name}${where}`
}

/** Maps an API failure to one actionable line and the DESIGN.md exit code. */
export function apiErrorFromResponse(status: number, body: Buffer | string, intent: RequestIntent): KubeApiError {
  const parsed = parseStatus(body)
  const reason = parsed?.reason || reasonByStatus[status] || (status >= 500 ? 'InternalError' : 'Unknown')
  const serverMessage = (parsed?.message ?? body.toString().trim().split('\n')[0] ?? '').slice(0, 500)
  const causes = parsed?.details?.causes ?? []
  const verb = intent.verb === 'apply' ? 'patch' : intent.verb

  switch (status) {
    case 401:
      return new KubeApiError('You must be logged in to the server (Unauthorized)', ExitCode.cluster, status, reason, causes, intent, 'the credentials in your kubeconfig were rejected: refresh the token or client certificate, or check --context')
    case 403:
      return new KubeApiError(
        `Error from server (Forbidden): cannot ${verb} ${describeTarget(intent)}${serverMessage ? `: ${serverMessage}` : ''}`,
        ExitCode.cluster,
        status,
        reason,
        causes,
        intent,
        `check with: kubectl auth can-i ${verb} ${intent.resource}${intent.subresource ? `/${intent.subresource}` : ''}${scope(intent)}`,
      )
    case 404:
      return new KubeApiError(
        `Error from server (NotFound): ${serverMessage || `${describeTarget(intent)} not found`}`,
        ExitCode.usage,
        status,
        reason,
        causes,
        intent,
      )
    case 409:
      return new KubeApiError(`Error from server (${reason}): ${serverMessage || `${describeTarget(intent)} was changed by someone else`}`, ExitCode.jobFailed, status, reason, causes, intent)
    case 422: {
      const fields = causes.filter((c) => c.field || c.message).map((c) => (c.field ? `${c.field}: ${c.message ?? c.reason ?? ''}` : (c.message ?? '')))
      const detail = serverMessage || fields.join('; ')
      return new KubeApiError(`Error from server (Invalid): ${detail}`, ExitCode.usage, status, reason, causes, intent)
    }
    case 400:
    case 405:
    case 415:
      return new KubeApiError(`Error from server (${reason}): ${serverMessage}`, ExitCode.usage, status, reason, causes, intent)
    default:
      return new KubeApiError(
        `Error from server (${reason}): ${serverMessage || `HTTP ${status} on ${verb} ${describeTarget(intent)}`}`,
        status >= 500 || status === 429 ? ExitCode.cluster : ExitCode.jobFailed,
        status,
        reason,
        causes,
        intent,
      )
  }
}

export function isNotFound(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 404
}

export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409
}
