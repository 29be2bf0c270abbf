// A stand-in for the signing-coordinator's rpc.signing.* (custody.get, signatures.create, signatures.get) that drives
// REAL signers: five in-process SignerProtocols after a real ChillDKG, each with the real `channel` policy reading
// the channel service's ledger over NATS (RpcChannelView). Only the coordinator's transport and persistence are
// replaced; every signature is a ROAST attempt over FROST partial signatures, and every refusal is a signer's own.
import { bytesToHex } from '@noble/hashes/utils.js';
import { taprootOutput } from '@tapbridge/bitcoin';
import { serveRequests, type Messaging } from '@tapbridge/messaging';
import {
  attemptSessionId,
  CHANNEL_PURPOSE,
  ChannelPolicy,
  hostPublicKey,
  MemoryChannelSignedStore,
  PolicyRegistry,
  resolveSigningRequest,
  RpcChannelView,
  SignerProtocol,
  SigningAttempt,
  type AttemptEvent,
  type SigningRequestWire,
} from '@tapbridge/signing';
import { Group } from '@tapbridge/signing/testing';
import { z } from 'zod';

interface Outcome {
  id: string;
  status: 'pending' | 'signed' | 'failed';
  signature: string | null;
  error: string | null;
  refusals: { signer: number; reason: string }[];
}

export class TestCoordinator {
  readonly outcomes = new Map<string, Outcome>();
  readonly subscriptions: { unsubscribe(): void }[] = [];
  #n = 0;

  private constructor(
    readonly group: Group,
    readonly groupKey: Uint8Array,
  ) {}

  static async start(messaging: Messaging): Promise<TestCoordinator> {
    const group = new Group(5, 3);
    await group.runDkg();
    const groupKey = group.signers[0]!.share!.groupKey.xonly;
    for (let i = 1; i <= group.n; i++) {
      group.signers[i - 1] = new SignerProtocol({
        index: i,
        n: group.n,
        t: group.t,
        hostSeckey: group.hostKeys[i - 1]!,
        coordinatorKey: hostPublicKey(group.coordinatorKey),
        trust: group.trustOf(i),
        policies: new PolicyRegistry().register(CHANNEL_PURPOSE, new ChannelPolicy({ groupKey: () => groupKey, view: new RpcChannelView({ messaging, timeoutMs: 15_000 }), signed: new MemoryChannelSignedStore(), maxCustodyCloseFee: 10_000n })),
        saveShare: async () => undefined,
        share: group.saved.get(i)!,
      });
    }
    const c = new TestCoordinator(group, groupKey);
    const custodySpk = bytesToHex(taprootOutput(groupKey).scriptPubKey);
    c.subscriptions.push(
      serveRequests(messaging, 'signing.custody.get', z.object({}).passthrough(), async () => ({ groupKey: bytesToHex(groupKey), scriptPubKey: custodySpk })),
      serveRequests(messaging, 'signing.signatures.create', z.object({ sighash: z.record(z.string(), z.unknown()), purpose: z.string(), tweak: z.unknown(), context: z.unknown() }).strict(), async (b) => {
        const wire = { requestId: `test-${++c.#n}`, purpose: b.purpose, payload: { kind: 'taproot-sighash', ...b.sighash }, tweak: b.tweak, context: b.context } as unknown;
        const id = await c.sign(wire);
        return { id, status: c.outcomes.get(id)!.status };
      }),
      serveRequests(messaging, 'signing.signatures.get', z.object({ id: z.string() }), async ({ id }) => {
        const o = c.outcomes.get(id);
        if (!o) throw new Error(`no request ${id}`);
        return o;
      }),
    );
    return c;
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }

  /** One ROAST attempt with every signer asked; returns the request id whose outcome is stored. */
  async sign(wireInput: unknown): Promise<string> {
    const request = resolveSigningRequest(wireInput);
    const wire: SigningRequestWire = request.wire;
    const sessionId = attemptSessionId(wire.requestId, 1);
    const attempt = new SigningAttempt({ groupKey: this.group.signers[0]!.share!.groupKey, request, sessionId });
    const queue: AttemptEvent[] = [];
    let signature: Uint8Array | null = null;
    for (let i = 1; i <= this.group.n; i++) {
      const reply = await this.group.ask(i, 'sign.nonce-request', sessionId, { request: wire });
      if (reply.type === 'sign.nonce') queue.push(...attempt.onNonce(i, (reply.body as { pubnonce: string }).pubnonce));
      else if (reply.type === 'sign.refusal') attempt.onRefusal(i, (reply.body as { reason: string }).reason);
    }
    while (queue.length > 0 && signature === null) {
      const e = queue.shift()!;
      if (e.type === 'signature-done') signature = e.signature;
      if (e.type !== 'session-started') continue;
      for (const s of e.signers) {
        const reply = await this.group.ask(s, 'sign.session', sessionId, { request: wire, roastSession: e.roastSession, signers: e.signers, pubnonces: e.pubnonces, aggnonce: e.aggnonce });
        if (reply.type === 'sign.refusal') attempt.onRefusal(s, (reply.body as { reason: string }).reason);
        if (reply.type !== 'sign.partial') continue;
        const body = reply.body as { psig: string; nextPubnonce: string };
        queue.push(...attempt.onPartial(s, e.roastSession, body.psig, body.nextPubnonce));
      }
    }
    const refusals = [...attempt.refused].map(([signer, reason]) => ({ signer, reason }));
    this.outcomes.set(wire.requestId, {
      id: wire.requestId,
      status: signature ? 'signed' : 'failed',
      signature: signature ? bytesToHex(signature) : null,
      error: signature ? null : `refused by ${refusals.length} of ${this.group.n} signers`,
      refusals,
    });
    return wire.requestId;
  }
}
