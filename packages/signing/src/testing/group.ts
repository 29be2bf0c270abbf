// An in-process signer group for tests: n SignerProtocols after a real ChillDKG, asked without a transport.
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  DevnetRawMessagePolicy,
  DkgCeremony,
  generateHostKey,
  hostPublicKey,
  HeartbeatPolicy,
  MessageAuthenticator,
  PolicyRegistry,
  sealMessage,
  SignerProtocol,
  StaticExpectedParticipants,
  type KeyShare,
  type MessageBody,
  type MessageType,
  type ProtocolMessage,
  type SignerFault,
  type SigningDecision,
  type SignerTrust,
} from '../index.js';

/** An in-process group: n SignerProtocols and a coordinator identity, wired without a transport. */
export class Group {
  readonly coordinatorKey = generateHostKey();
  readonly signers: SignerProtocol[] = [];
  readonly hostKeys: Uint8Array[] = [];
  readonly decisions: SigningDecision[] = [];
  readonly saved = new Map<number, KeyShare>();
  readonly auth: MessageAuthenticator;
  /** Each signer's signed dkg.done from the last runDkg: the attestation of its public share that evidence rests on. */
  readonly dkgDone = new Map<number, ProtocolMessage<'dkg.done'>>();

  readonly now: (() => number) | undefined;
  readonly trustOf: (index: number) => SignerTrust;
  readonly configured: { n: number; t: number };

  constructor(
    readonly n: number,
    readonly t: number,
    options: {
      faults?: Record<number, SignerFault>;
      rawMessageSigners?: number[];
      now?: () => number;
      trust?: (index: number, hostPubkeys: Uint8Array[]) => SignerTrust;
      /** The signers' SIGNER_COUNT/SIGNER_THRESHOLD when they differ from the ceremony's (an epoch set from the registry decides). */
      configured?: { n: number; t: number };
    } = {},
  ) {
    this.now = options.now;
    this.configured = options.configured ?? { n, t };
    for (let i = 1; i <= n; i++) this.hostKeys.push(generateHostKey());
    // By default every signer expects exactly this group's host keys (SIGNER_HOST_PUBKEYS).
    const hostPubkeys = this.hostKeys.map((k) => hostPublicKey(k));
    this.trustOf = (i) => options.trust?.(i, hostPubkeys) ?? { expectedParticipants: new StaticExpectedParticipants({ hostPubkeys, t }) };
    for (let i = 1; i <= n; i++) this.signers.push(this.makeSigner(i, this.hostKeys[i - 1] as Uint8Array, options.faults?.[i] ?? 'none', options.rawMessageSigners?.includes(i) ?? true));
    this.auth = new MessageAuthenticator({ self: 0, ...(options.now ? { now: options.now } : {}), hostKeyOf: (s) => (s >= 1 && s <= n ? this.signers[s - 1]?.hostPubkey : undefined) });
  }

  makeSigner(index: number, hostSeckey: Uint8Array, fault: SignerFault, rawMessages: boolean, share?: KeyShare): SignerProtocol {
    const policies = new PolicyRegistry().register('heartbeat', new HeartbeatPolicy());
    if (rawMessages) policies.register('message', new DevnetRawMessagePolicy());
    return new SignerProtocol({
      index,
      n: this.configured.n,
      t: this.configured.t,
      hostSeckey,
      coordinatorKey: hostPublicKey(this.coordinatorKey),
      trust: this.trustOf(index),
      policies,
      saveShare: async (s) => void this.saved.set(index, s),
      onDecision: (d) => void this.decisions.push({ ...d, sessionId: `${index}:${d.sessionId}` }),
      fault,
      ...(this.now ? { now: this.now } : {}),
      ...(share ? { share } : {}),
    });
  }

  /** Restarts signer `index` from its saved share: a new process with no nonces in memory (optionally another fault or policy). */
  restart(index: number, o: { fault?: SignerFault; rawMessages?: boolean } = {}): void {
    this.signers[index - 1] = this.makeSigner(index, this.hostKeys[index - 1] as Uint8Array, o.fault ?? 'none', o.rawMessages ?? true, this.saved.get(index));
  }

  send<T extends MessageType>(to: number, type: T, sessionId: string, body: MessageBody<T>): ProtocolMessage<T> {
    return sealMessage({ type, sessionId, sender: 0, recipient: to, body }, this.coordinatorKey, this.now?.());
  }

  async ask<T extends MessageType>(to: number, type: T, sessionId: string, body: MessageBody<T>): Promise<ProtocolMessage> {
    return (await this.exchange(to, type, sessionId, body)).reply;
  }

  /** The signed request as sent and the signer's authenticated reply. */
  async exchange<T extends MessageType>(to: number, type: T, sessionId: string, body: MessageBody<T>): Promise<{ request: ProtocolMessage<T>; reply: ProtocolMessage }> {
    const request = this.send(to, type, sessionId, body);
    const raw = await (this.signers[to - 1] as SignerProtocol).handle(new TextEncoder().encode(JSON.stringify(request)));
    const reply = this.auth.authenticate(raw, { types: ['dkg.round1', 'dkg.round2', 'dkg.done', 'sign.nonce', 'sign.partial', 'sign.refusal', 'heartbeat.ack', 'protocol.error'], sender: to, inReplyTo: request.messageId });
    return { request, reply };
  }

  async runDkg(): Promise<DkgCeremony> {
    const hostPubkeys = this.signers.map((s) => s.hostPubkey);
    const ceremony = new DkgCeremony('dkg-1', hostPubkeys, this.t);
    const ids = Array.from({ length: this.n }, (_, i) => i + 1);
    const start = { t: this.t, hostPubkeys: hostPubkeys.map(bytesToHex), coordinatorPubkey: bytesToHex(hostPublicKey(this.coordinatorKey)) };
    const r1 = await Promise.all(ids.map((i) => this.ask(i, 'dkg.start', 'dkg-1', start)));
    const cmsg1 = ceremony.aggregateRound1(new Map(r1.map((m) => [m.sender, Buffer.from((m.body as { pmsg1: string }).pmsg1, 'hex')])));
    const r2 = await Promise.all(ids.map((i) => this.ask(i, 'dkg.cmsg1', 'dkg-1', { cmsg1: bytesToHex(cmsg1) })));
    const { cmsg2 } = ceremony.finalize(new Map(r2.map((m) => [m.sender, Buffer.from((m.body as { pmsg2: string }).pmsg2, 'hex')])));
    const done = await Promise.all(ids.map((i) => this.ask(i, 'dkg.cmsg2', 'dkg-1', { cmsg2: bytesToHex(cmsg2) })));
    for (const m of done) {
      if (m.type === 'dkg.done') this.dkgDone.set(m.sender, m as ProtocolMessage<'dkg.done'>);
      const body = m.body as { threshPk: string; pubshare: string };
      ceremony.confirm(m.sender, body.threshPk, body.pubshare);
    }
    return ceremony;
  }
}
