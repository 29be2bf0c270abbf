import {
  applyDecorators, ForbiddenException, Inject, Injectable, SetMetadata, UnauthorizedException, UseGuards,
  type CanActivate, type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiSecurity } from '@nestjs/swagger';
import type { Request } from 'express';
import { counter } from '@tapbridge/observability';
import { hasScope, verifyApiKey, type ApiKeyInfo } from '../api-keys.js';
import type { ServiceRuntime } from '../runtime.js';
import { RUNTIME } from './runtime-token.js';
import { ApiProblem } from './problem.js';

/** The OpenAPI security scheme name of API keys (bootstrapService declares it). */
export const API_KEY_SCHEME = 'apiKey';
export const API_KEY_HEADER = 'x-api-key';
const SCOPE = Symbol('tapbridge:required-scope');

const authFailures = counter('tapbridge_http_auth_failures_total', 'Requests refused for a missing, unknown or under-scoped API key', ['reason']);

/** The key a request presents: `X-API-Key: <key>` or `Authorization: Bearer <key>`. */
export function presentedKey(req: Request): string | undefined {
  const header = req.headers[API_KEY_HEADER];
  if (typeof header === 'string' && header) return header.trim();
  const auth = req.headers.authorization;
  if (auth && /^Bearer\s+/i.test(auth)) return auth.replace(/^Bearer\s+/i, '').trim();
  return undefined;
}

/** Refuses a request without a live API key holding the route's scope: 401 without a valid key, 403 without the scope. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<string | undefined>(SCOPE, [context.getHandler(), context.getClass()]);
    if (!scope) return true;
    const req = context.switchToHttp().getRequest<Request & { apiKey?: ApiKeyInfo }>();
    const presented = presentedKey(req);
    if (!presented) {
      authFailures.inc({ reason: 'missing' });
      throw new UnauthorizedException(`this endpoint needs an API key with scope ${scope} (header ${API_KEY_HEADER} or Authorization: Bearer)`);
    }
    const key = await verifyApiKey(this.runtime.pool, presented);
    if (!key) {
      authFailures.inc({ reason: 'invalid' });
      throw new UnauthorizedException('unknown, revoked or expired API key');
    }
    if (!hasScope(key, scope)) {
      authFailures.inc({ reason: 'scope' });
      this.runtime.logger.warn({ apiKey: key.id, scope, path: req.path }, 'API key lacks the scope');
      throw new ForbiddenException(`API key ${key.id} lacks scope ${scope}`);
    }
    req.apiKey = key;
    return true;
  }
}

/**
 * Marks a route as needing an API key with `scope` (managed by `tapbridge apikey create|list|revoke`), and shows
 * it in the OpenAPI document.
 */
export function RequireScope(scope: string) {
  return applyDecorators(
    SetMetadata(SCOPE, scope),
    UseGuards(ApiKeyGuard),
    ApiSecurity(API_KEY_SCHEME, [scope]),
    ApiProblem(401, `No valid API key (header ${API_KEY_HEADER} or Authorization: Bearer)`),
    ApiProblem(403, `The API key lacks scope ${scope}`),
  );
}
