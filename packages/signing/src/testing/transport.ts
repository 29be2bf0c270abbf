// Ports for the signing driver in tests: a transport to an in-process Group whose signers can be taken down or
// silenced, and a clock that only moves when the driver sleeps (so stalls and retries need no real waiting).
import type { GroupKey } from '@tapbridge/frost';
import { toSignerReply, type SignerReply } from '../coordinator/attempt-machine.js';
import type { Clock, SignerTransport } from '../coordinator/driver.js';
import type { MessageBody, MessageType, ProtocolMessage } from '../messages.js';
import type { Group } from './group.js';

export class GroupTransport implements SignerTransport {
  /** Signers that answer nothing (as if not listening). */
  readonly down = new Set<number>();
  /** Signers that commit to nonces but never answer a sign.session request. */
  readonly silentInSessions = new Set<number>();
  /** Every request, in order. */
  readonly asked: Array<{ signer: number; type: MessageType; sessionId: string }> = [];

  constructor(readonly group: Group) {}

  async ask<T extends MessageType>(signer: number, type: T, sessionId: string, body: MessageBody<T>): Promise<SignerReply> {
    return (await this.exchange(signer, type, sessionId, body)).reply;
  }

  async exchange<T extends MessageType>(signer: number, type: T, sessionId: string, body: MessageBody<T>): Promise<{ request: ProtocolMessage<T>; reply: SignerReply }> {
    this.asked.push({ signer, type, sessionId });
    if (this.down.has(signer) || (type === 'sign.session' && this.silentInSessions.has(signer))) throw new Error(`signer ${signer} is not listening`);
    const { request, reply } = await this.group.exchange(signer, type, sessionId, body);
    return { request, reply: toSignerReply(reply) };
  }

  /** The group key as the signers hold it after the DKG. */
  groupKey(): GroupKey {
    const share = this.group.signers[0]?.share;
    if (!share) throw new Error('no DKG yet');
    return share.groupKey;
  }
}

/** Virtual time: `sleep` advances it and yields to the event loop once, so in-process replies arrive in between. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  async sleep(ms: number): Promise<void> {
    this.#now += ms;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
