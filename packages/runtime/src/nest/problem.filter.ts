import { STATUS_CODES } from 'node:http';
import { Catch, HttpException, Inject, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { throwError, type Observable } from 'rxjs';
import { RemoteError } from '@tapbridge/messaging';
import type { Logger } from '@tapbridge/observability';
import type { ServiceRuntime } from '../runtime.js';
import { RUNTIME } from './runtime-token.js';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails } from './problem.js';
import { RequestValidationError, type ValidationIssue } from './zod.js';

/** The HTTP status of each error code used across services (RemoteError codes, DomainError codes). */
const STATUS_OF_CODE: Record<string, number> = {
  bad_request: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  internal: 500,
  unavailable: 503,
};

/**
 * An error a service means to show its caller: a stable machine code (also the RPC error code) and a message
 * written for people. Throw it (or a subclass) from a provider; ProblemFilter maps it for REST and RPC alike.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status; default from the code (not_found 404, conflict 409, …; unknown codes 400). */
    readonly status: number = STATUS_OF_CODE[code] ?? 400,
  ) {
    super(message);
  }
}

interface Mapped {
  status: number;
  code: string;
  detail: string;
  errors?: ValidationIssue[];
  extensions?: Record<string, unknown>;
}

const codeOfStatus = (status: number) =>
  Object.entries(STATUS_OF_CODE).find(([code, s]) => s === status && code !== 'invalid_request')?.[0] ?? (status >= 500 ? 'internal' : `http_${status}`);

function map(exception: unknown): Mapped {
  if (exception instanceof RequestValidationError) return { status: 400, code: 'invalid_request', detail: exception.message, errors: exception.issues };
  if (exception instanceof DomainError) return { status: exception.status, code: exception.code, detail: exception.message };
  if (exception instanceof RemoteError) return { status: STATUS_OF_CODE[exception.code] ?? 502, code: exception.code, detail: exception.message };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    if (typeof body === 'string') return { status, code: codeOfStatus(status), detail: body };
    const { message, statusCode: _s, error: _e, code, ...extensions } = body as { message?: unknown; statusCode?: unknown; error?: unknown; code?: unknown };
    const detail = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
    return { status, code: typeof code === 'string' ? code : codeOfStatus(status), detail, extensions };
  }
  // Errors raised before routing (body-parser: 413, malformed JSON) carry their status; they are the client's fault.
  const status = (exception as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return { status, code: codeOfStatus(status), detail: (exception as Error).message };
  return { status: 500, code: 'internal', detail: 'internal error' };
}

/**
 * Every error leaves a service in one shape. REST: `application/problem+json` (RFC 9457) with the request id.
 * RPC (rpc.* over NATS): the `{ ok: false, error: { code, message } }` envelope packages/messaging's `request()`
 * reads, through RpcServer's serializer. Unexpected errors are logged with their stack and answered without it
 * (REST says only "internal error"; RPC keeps the message, as serveRequests always did).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger: Logger | undefined;

  constructor(@Optional() @Inject(RUNTIME) runtime?: ServiceRuntime) {
    this.logger = runtime?.logger;
  }

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') {
      const mapped = map(exception);
      if (mapped.status >= 500 && !(exception instanceof DomainError) && !(exception instanceof RemoteError)) {
        this.logger?.error({ err: exception }, 'rpc handler failed');
        return throwError(() => ({ code: 'internal', message: (exception as Error)?.message ?? String(exception) }));
      }
      return throwError(() => ({ code: mapped.code, message: mapped.detail }));
    }
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const mapped = map(exception);
    if (mapped.status >= 500) this.logger?.error({ err: exception, path: req.path }, 'request failed');
    const requestId = res.getHeader('x-request-id');
    const problem: ProblemDetails = {
      ...mapped.extensions,
      type: mapped.status === 500 ? 'about:blank' : `urn:tapbridge:problem:${mapped.code}`,
      title: STATUS_CODES[mapped.status] ?? 'Error',
      status: mapped.status,
      detail: mapped.detail,
      instance: req.originalUrl ?? req.url,
      ...(typeof requestId === 'string' ? { requestId } : {}),
      code: mapped.code,
      ...(mapped.errors ? { errors: mapped.errors } : {}),
      message: mapped.detail,
    };
    if (res.headersSent) return;
    res.status(mapped.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }
}
