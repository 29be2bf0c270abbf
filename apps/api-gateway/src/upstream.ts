import { Inject, Injectable } from '@nestjs/common';
import { NoRespondersError, RemoteError, request, RequestTimeoutError } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { DomainError, InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { counter } from '@tapbridge/observability';
import type { z } from 'zod';
import type { ApiGatewayConfig } from './config.js';

const upstreamFailures = counter('tapbridge_gateway_upstream_failures_total', 'rpc.* reads that got no usable answer', ['subject', 'reason']);

const REGISTRATION_STATUS: Record<string, number> = {
  'bad-request': 400, 'bad-deposit-script': 400, 'bad-reclaim-script': 400, 'tx-not-found': 404, 'chain-source': 502,
};

/**
 * Reads from the owning services over NATS request/reply (`<prefix>.rpc.<subject>`), on the runtime's connection and
 * so with the gateway's own NATS identity. packages/messaging's request() speaks the services' envelope
 * (`{ ok, data | error }`); Nest's ClientProxy would need its own connection and a custom envelope (de)serializer
 * for the same result, and there is no client counterpart of RpcServer in packages/runtime.
 * What goes wrong upstream becomes a problem+json answer: the owner's not_found/invalid_request keep their meaning,
 * no responder is 503, a timeout 504, anything else 502.
 */
@Injectable()
export class Upstream {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @InjectConfig() private readonly config: ApiGatewayConfig,
  ) {}

  async get<S extends z.ZodType>(subject: string, payload: object, response: S): Promise<z.infer<S>> {
    try {
      return await request(this.runtime.messaging, subject, payload, { response, timeoutMs: this.config.UPSTREAM_TIMEOUT_MS });
    } catch (e) {
      throw this.problem(subject, e);
    }
  }

  /** As get(), but undefined when no service answers the subject (an optional part of a composite answer). */
  async optional<S extends z.ZodType>(subject: string, payload: object, response: S): Promise<z.infer<S> | undefined> {
    try {
      return await request(this.runtime.messaging, subject, payload, { response, timeoutMs: this.config.UPSTREAM_TIMEOUT_MS });
    } catch (e) {
      if (e instanceof NoRespondersError) return undefined;
      throw this.problem(subject, e);
    }
  }

  private problem(subject: string, e: unknown): unknown {
    if (e instanceof NoRespondersError) {
      upstreamFailures.inc({ subject, reason: 'no_responders' });
      return new DomainError('unavailable', `no service answers rpc.${subject} right now`, 503);
    }
    if (e instanceof RequestTimeoutError) {
      upstreamFailures.inc({ subject, reason: 'timeout' });
      return new DomainError('upstream_timeout', e.message, 504);
    }
    if (e instanceof RemoteError) {
      if (e.code === 'not_found') return new DomainError('not_found', e.message, 404);
      if (e.code === 'invalid_request' || e.code === 'bad_request') return new DomainError('invalid_request', e.message, 400);
      if (e.code === 'conflict') return new DomainError('conflict', e.message, 409);
      upstreamFailures.inc({ subject, reason: e.code });
      // Deposit registration answers with its rule's code (apps/deposit-indexer registrationError): same statuses as its REST.
      const registration = REGISTRATION_STATUS[e.code] ?? (/^[a-z]+(-[a-z]+)+$/.test(e.code) ? 422 : undefined);
      if (registration !== undefined) return new DomainError(e.code, e.message, registration);
      return new DomainError('upstream_error', `rpc.${subject}: ${e.code}: ${e.message}`, 502);
    }
    return e;
  }
}
