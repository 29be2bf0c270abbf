// Signing protocol costs on one machine, in-process (no NATS, no Postgres): message authentication, key-file
// encryption (scrypt), and a full 3-of-5 signature through the signer protocol and a ROAST attempt.
import os from 'node:os';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { performance } from 'node:perf_hooks';
import { Group } from '../test/helpers.js';
import { attemptSessionId, MessageAuthenticator, hostPublicKey, generateHostKey, openKeyFile, resolveSigningRequest, sealKeyFile, sealMessage, SigningAttempt, type AttemptEvent } from '../src/index.js';

function report(name: string, ms: number, per: string): void {
  console.log(`${name.padEnd(52)} ${ms.toFixed(3).padStart(10)} ms ${per}`);
}

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, node ${process.version}`);

// Message authentication: seal (BIP340 sign) + authenticate (verify, freshness, replay, body schema).
{
  const key = generateHostKey();
  const pub = hostPublicKey(key);
  const auth = new MessageAuthenticator({ self: 0, hostKeyOf: () => pub });
  const body = { pubnonce: bytesToHex(randomBytes(33)).replace(/^../, '02') + bytesToHex(randomBytes(33)).replace(/^../, '03') };
  const rounds = 2_000;
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) auth.authenticate(sealMessage({ type: 'sign.nonce', sessionId: `s#${i}`, sender: 1, recipient: 0, body }, key), { types: ['sign.nonce'] });
  report('seal + authenticate one protocol message', (performance.now() - t0) / rounds, 'per message');
}

// Key file: scrypt N = 2^15, r = 8 dominates.
{
  const secret = randomBytes(32);
  const t0 = performance.now();
  const text = await sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret }, 'benchmark passphrase');
  const t1 = performance.now();
  await openKeyFile(text, 'benchmark passphrase', { kind: 'host-key', signerIndex: 1 });
  report('seal key file (scrypt 2^15 + AES-256-GCM)', t1 - t0, '');
  report('open key file', performance.now() - t1, '');
}

// A whole 3-of-5 signature: five nonce requests, one ROAST session, three partial signatures, aggregation.
{
  const group = new Group(5, 3);
  const t0 = performance.now();
  await group.runDkg();
  report('ChillDKG 3-of-5 through the signer protocol', performance.now() - t0, '(all five signers in one process)');
  const groupKey = group.signers[0]?.share?.groupKey;
  if (!groupKey) throw new Error('no DKG');
  const rounds = 20;
  const t1 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const wire = { requestId: `bench-${r}`, purpose: 'message', payload: { kind: 'message' as const, message: bytesToHex(randomBytes(32)) }, tweak: { kind: 'key-path-only' as const } };
    const sessionId = attemptSessionId(wire.requestId, 1);
    const attempt = new SigningAttempt({ groupKey, request: resolveSigningRequest(wire), sessionId });
    const queue: AttemptEvent[] = [];
    for (let i = 1; i <= 5; i++) {
      const reply = await group.ask(i, 'sign.nonce-request', sessionId, { request: wire });
      queue.push(...attempt.onNonce(i, (reply.body as { pubnonce: string }).pubnonce));
    }
    while (queue.length > 0 && attempt.signature === null) {
      const e = queue.shift() as AttemptEvent;
      if (e.type !== 'session-started') continue;
      for (const s of e.signers) {
        const reply = await group.ask(s, 'sign.session', sessionId, { request: wire, roastSession: e.roastSession, signers: e.signers, pubnonces: e.pubnonces, aggnonce: e.aggnonce });
        const b = reply.body as { psig: string; nextPubnonce: string };
        queue.push(...attempt.onPartial(s, e.roastSession, b.psig, b.nextPubnonce));
      }
    }
    if (attempt.signature === null) throw new Error('no signature');
  }
  report('3-of-5 signature (authenticated messages, ROAST)', (performance.now() - t1) / rounds, 'per signature, all parties in one process');
}
