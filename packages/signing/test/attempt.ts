import { type GroupKey } from '@tapbridge/frost';
import { attemptSessionId, resolveSigningRequest, SigningAttempt, type AttemptEvent, type SigningRequestWire } from '../src/index.js';
import type { Group } from './helpers.js';

export interface AttemptOutcome {
  signature: Uint8Array | null;
  refusals: Map<number, string>;
  attempt: SigningAttempt;
}

/** The group key as the signers hold it after the DKG. */
export function groupKeyOf(group: Group): GroupKey {
  const share = group.signers[0]?.share;
  if (!share) throw new Error('no DKG yet');
  return share.groupKey;
}

/** Drives one ROAST attempt to the end with in-process signers (the apps do the same over NATS). */
export async function runAttempt(group: Group, request: SigningRequestWire, attemptNo = 1): Promise<AttemptOutcome> {
  const sessionId = attemptSessionId(request.requestId, attemptNo);
  const attempt = new SigningAttempt({ groupKey: groupKeyOf(group), request: resolveSigningRequest(request), sessionId });
  const queue: AttemptEvent[] = [];
  let signature: Uint8Array | null = null;
  for (let i = 1; i <= group.n; i++) {
    const reply = await group.ask(i, 'sign.nonce-request', sessionId, { request });
    if (reply.type === 'sign.nonce') queue.push(...attempt.onNonce(i, (reply.body as { pubnonce: string }).pubnonce));
    else if (reply.type === 'sign.refusal') attempt.onRefusal(i, (reply.body as { reason: string }).reason);
  }
  while (queue.length > 0 && signature === null) {
    const e = queue.shift() as AttemptEvent;
    if (e.type === 'signature-done') signature = e.signature;
    if (e.type !== 'session-started') continue;
    for (const s of e.signers) {
      const reply = await group.ask(s, 'sign.session', sessionId, { request, roastSession: e.roastSession, signers: e.signers, pubnonces: e.pubnonces, aggnonce: e.aggnonce });
      if (reply.type === 'sign.refusal') attempt.onRefusal(s, (reply.body as { reason: string }).reason);
      if (reply.type !== 'sign.partial') continue;
      const body = reply.body as { psig: string; nextPubnonce: string };
      queue.push(...attempt.onPartial(s, e.roastSession, body.psig, body.nextPubnonce));
    }
  }
  return { signature, refusals: new Map(attempt.refused), attempt };
}
