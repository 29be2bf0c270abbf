import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import type { Redis } from 'ioredis';
import { counter } from '@tapbridge/observability';
import type { HttpSettings } from '../http-settings.js';

const throttled = counter('tapbridge_http_throttled_total', 'Requests refused with 429 by the rate limiter', ['throttler']);

/**
 * Fixed-window counter plus block, atomically in Redis: every replica of a service counts into the same keys, so a
 * limit holds across replicas. KEYS[1] = hits, KEYS[2] = block marker; ARGV = window ms, limit, block ms.
 * Returns hits, ms until the window ends, ms until the block ends (0 when not blocked).
 */
const INCREMENT = `
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
local blocked = redis.call('PTTL', KEYS[2])
if blocked < 0 then
  blocked = 0
  if hits > tonumber(ARGV[2]) then
    redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
    blocked = tonumber(ARGV[3])
  end
end
return {hits, ttl, blocked}
`;

/** @nestjs/throttler storage over ioredis (the @nest-lab one does not support Nest 12). */
export class RedisThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: Redis,
    /** Keeps services (and test runs) that share a Redis apart: `tb:throttle:<service>`. */
    private readonly keyPrefix: string,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string) {
    const base = `${this.keyPrefix}:${throttlerName}:${key}`;
    const [hits, ttlMs, blockedMs] = (await this.redis.eval(INCREMENT, 2, `${base}:hits`, `${base}:block`, Math.max(1, Math.ceil(ttl)), limit, Math.max(1, Math.ceil(blockDuration)))) as [number, number, number];
    return {
      totalHits: hits,
      timeToExpire: Math.ceil(ttlMs / 1000),
      isBlocked: blockedMs > 0,
      timeToBlockExpire: Math.ceil(blockedMs / 1000),
    };
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const UNTHROTTLED = /^\/(health|metrics)(\/|$)/;

/** Two limits per client address and route: reads (GET/HEAD) and writes (everything else); health and metrics are free. */
export function throttlerOptions(settings: HttpSettings, storage: ThrottlerStorage): ThrottlerModuleOptions {
  const method = (ctx: ExecutionContext) => ctx.switchToHttp().getRequest<Request>().method;
  // RPC handlers (rpc.* over NATS) pass the global guards too; rate limits are for HTTP clients only.
  const exempt = (ctx: ExecutionContext) => ctx.getType() !== 'http' || UNTHROTTLED.test(ctx.switchToHttp().getRequest<Request>().path);
  return {
    storage,
    throttlers: [
      { name: 'read', ttl: settings.rateLimit.windowMs, limit: settings.rateLimit.read, skipIf: (ctx) => exempt(ctx) || !READ_METHODS.has(method(ctx)) },
      { name: 'write', ttl: settings.rateLimit.windowMs, limit: settings.rateLimit.write, skipIf: (ctx) => exempt(ctx) || READ_METHODS.has(method(ctx)) },
    ],
  };
}

/** The stock guard names its header `Retry-After-<throttler>`; clients and proxies read the standard `Retry-After`. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const res = context.switchToHttp().getResponse<Response>();
    res.setHeader('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    throttled.inc({ throttler: READ_METHODS.has(context.switchToHttp().getRequest<Request>().method) ? 'read' : 'write' });
    return super.throwThrottlingException(context, detail);
  }
}

