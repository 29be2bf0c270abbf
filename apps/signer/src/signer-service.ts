// Wiring of one signer: the protocol (packages/signing) on its NATS subject, periodic signed announcements, the
// decision log in Postgres and the metrics. No protocol rules here.
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '@tapbridge/observability';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { ANNOUNCE_SUBJECT, encodeMessage, signerSubject, SignerProtocol, type ProtocolMessage, type SigningDecision } from '@tapbridge/signing';
import type { Messaging } from '@tapbridge/messaging';
import type { SignerConfig } from './config.js';
import { rejected, secretNonces, sessions, signerReady } from './metrics.js';
import { PrismaService } from './prisma.service.js';

type Subscription = ReturnType<Messaging['nc']['subscribe']>;

/**
 * Serves the protocol on frost.signer.<index> (a binary request/reply protocol of signed messages, not an rpc.*
 * JSON subject, so it stays a plain NATS subscription) and announces this signer; starts once everything is up,
 * drains the requests in hand on shutdown.
 */
@Injectable()
export class SignerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly index: number;
  private readonly announceIntervalMs: number;

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(SignerProtocol) private readonly protocol: SignerProtocol,
    @InjectConfig() config: SignerConfig,
  ) {
    this.index = config.SIGNER_INDEX;
    this.announceIntervalMs = config.ANNOUNCE_INTERVAL_MS;
  }

  private get logger(): Logger {
    return this.runtime.logger;
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    const { nc, naming } = this.runtime.messaging;
    this.subscription = nc.subscribe(naming.subject(signerSubject(this.index)), {
      callback: (err, msg) => {
        if (err) return;
        const work = this.protocol
          .handle(msg.data)
          .then((reply) => {
            this.observe(reply);
            msg.respond(encodeMessage(reply));
          })
          .catch((e: unknown) => this.logger.error({ err: (e as Error).message }, 'signer failed to answer a request'))
          .finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      },
    });
    this.announce();
    this.timer = setInterval(() => this.announce(), this.announceIntervalMs);
    signerReady.set(this.protocol.ready ? 1 : 0);
    this.logger.info({ index: this.index, hostPubkey: bytesToHex(this.protocol.hostPubkey), ready: this.protocol.ready }, 'signer listening');
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.subscription?.unsubscribe();
    await Promise.allSettled([...this.inFlight]);
    signerReady.set(0);
  }

  /** Announcing doubles as liveness: the coordinator's GET /signers shows when each signer was last heard. */
  private announce(): void {
    const { nc, naming } = this.runtime.messaging;
    if (nc.isClosed()) return;
    nc.publish(naming.subject(ANNOUNCE_SUBJECT), encodeMessage(this.protocol.announce()));
  }

  private observe(reply: ProtocolMessage): void {
    secretNonces.set(this.protocol.heldNonces);
    signerReady.set(this.protocol.ready ? 1 : 0);
    if (reply.type === 'protocol.error') {
      const body = reply.body as { code: string; message: string };
      rejected.inc({ code: body.code });
      this.logger.warn({ sessionId: reply.sessionId, code: body.code, error: body.message }, 'refused a protocol message');
    } else if (reply.type === 'dkg.done') {
      this.logger.info({ groupKey: (reply.body as { threshPk: string }).threshPk }, 'DKG complete: key share stored (encrypted)');
    }
  }
}

/** The signer's decision log in Postgres (public data only), with its counters. */
@Injectable()
export class DecisionLog {
  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(PrismaService) private readonly prisma: PrismaService,
  ) {}

  /** Records a decision (public data only) and counts it. */
  async record(d: SigningDecision): Promise<void> {
    sessions.inc({ outcome: d.outcome });
    this.runtime.logger.info({ sessionId: d.sessionId, requestId: d.requestId, purpose: d.purpose, outcome: d.outcome, policy: d.policy, reason: d.reason }, `signing decision: ${d.outcome}`);
    await this.prisma.signingDecision.create({
      data: { sessionId: d.sessionId, requestId: d.requestId, purpose: d.purpose, message: d.message, outcome: d.outcome, policy: d.policy, reason: d.reason, pubnonce: d.pubnonce },
    });
  }
}
