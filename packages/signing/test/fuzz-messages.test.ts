// Fuzz tests for every signer protocol message: random bytes, any JSON, mutated real messages, and correctly
// signed messages whose bodies are fuzzed (what a compromised coordinator or signer could send). A receiver
// refuses with MessageRejectedError / SigningRequestError, and a signer always answers with a signed message it
// can stand behind (a protocol.error when refused): it never throws, so nothing crashes its loop.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FUZZ_TIMEOUT_MS, anyJson, fuzzParams, mutatedBytes, mutatedJson, onlyErrors } from '../../testing/src/fuzz.js';
import {
  MESSAGE_TYPES,
  MessageAuthenticator,
  MessageRejectedError,
  hostPublicKey,
  SigningAttempt,
  SigningRequestError,
  attemptSessionId,
  envelopeSchema,
  messageDigest,
  resolveSigningRequest,
  type MessageType,
  type ProtocolMessage,
  type SigningRequestWire,
  type UnsignedMessage,
} from '../src/index.js';
import { Group } from './helpers.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const encode = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

const messageRequest: SigningRequestWire = {
  requestId: 'fuzz-req-1',
  purpose: 'message',
  payload: { kind: 'message', message: 'ab'.repeat(32) },
  tweak: { kind: 'key-path-only' },
};
// A real transaction spending one taproot output, for the sighash form of a request.
const sighashRequest: SigningRequestWire = {
  requestId: 'fuzz-req-2',
  purpose: 'message',
  payload: {
    kind: 'taproot-sighash',
    transaction: '0200000001' + '11'.repeat(32) + '00000000' + '00' + 'fdffffff' + '01' + 'e803000000000000' + '225120' + '22'.repeat(32) + '00000000',
    inputIndex: 0,
    prevouts: [{ value: '5000', scriptPubKey: '5120' + '33'.repeat(32) }],
  },
  tweak: { kind: 'merkle-root', merkleRoot: '44'.repeat(32) },
};

/** Signs an envelope with `body` as is, skipping sealMessage's body check: what a malicious sender can do. */
function sealRaw(type: MessageType, sessionId: string, sender: number, recipient: number, body: unknown, seckey: Uint8Array, extra: Partial<UnsignedMessage> = {}): ProtocolMessage {
  const unsigned = { type, sessionId, sender, recipient, messageId: bytesToHex(randomBytes(16)), sentAt: Date.now(), body, ...extra } as UnsignedMessage;
  return { ...unsigned, sig: bytesToHex(schnorr.sign(messageDigest(unsigned), seckey, randomBytes(32))) };
}

/** The signer's answer must be a well-formed message signed by it, to the coordinator. */
function checkReply(group: Group, index: number, reply: ProtocolMessage): void {
  expect(envelopeSchema.safeParse(reply).success).toBe(true);
  expect(reply.sender).toBe(index);
  expect(reply.recipient).toBe(0);
  expect(schnorr.verify(Buffer.from(reply.sig, 'hex'), messageDigest(reply), group.signers[index - 1]!.hostPubkey.subarray(1))).toBe(true);
}

describe('fuzz: signer protocol messages', () => {
  // One group that has run its DKG (signing paths) and one that has not (DKG paths).
  let ready: Group;
  let fresh: Group;
  let validIncoming: Array<{ type: MessageType; body: unknown }>;

  beforeAll(async () => {
    ready = new Group(3, 2);
    await ready.runDkg();
    fresh = new Group(3, 2);
    const hostPubkeys = fresh.signers.map((s) => bytesToHex(s.hostPubkey));
    const sessionId = attemptSessionId('fuzz-req-1', 1);
    const nonce = await ready.ask(1, 'sign.nonce-request', sessionId, { request: messageRequest });
    const pubnonce = (nonce.body as { pubnonce: string }).pubnonce;
    validIncoming = [
      { type: 'dkg.start', body: { t: 2, hostPubkeys, coordinatorPubkey: bytesToHex(fresh.signers[0]!.hostPubkey) } },
      { type: 'dkg.cmsg1', body: { cmsg1: 'ab'.repeat(120) } },
      { type: 'dkg.cmsg2', body: { cmsg2: 'cd'.repeat(64) } },
      { type: 'sign.nonce-request', body: { request: messageRequest } },
      { type: 'sign.nonce-request', body: { request: sighashRequest } },
      { type: 'sign.session', body: { request: messageRequest, roastSession: 1, signers: [1, 2], pubnonces: [pubnonce, pubnonce], aggnonce: pubnonce } },
      { type: 'heartbeat', body: { nonce: '0102030405060708' } },
    ];
    if ((MESSAGE_TYPES as string[]).includes('dkg.recover')) validIncoming.push({ type: 'dkg.recover' as MessageType, body: { recoveryData: 'ee'.repeat(100) } });
  });

  it('the signer-side authenticator refuses random bytes, any JSON and mutated coordinator messages', async () => {
    const sealed = validIncoming.map(({ type, body }) => ready.send(1, type as 'heartbeat', 'fuzz-session', body as { nonce: string }));
    const auth = new MessageAuthenticator({ self: 1, hostKeyOf: (sender) => (sender === 0 ? hostPublicKey(ready.coordinatorKey) : undefined) });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), anyJson().map(encode), anyJson(), mutatedBytes(sealed.map(encode), 3, 100_000), mutatedJson(sealed)), (raw) => {
        onlyErrors(() => auth.authenticate(raw, { types: MESSAGE_TYPES }), [MessageRejectedError]);
      }),
      fuzzParams(2_000),
    );
  });

  // The properties below run the whole signer (each answer is BIP340-signed), so they run fewer times.
  it('a signer answers random bytes and any JSON with a signed protocol.error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 400 }), anyJson().map(encode), anyJson()), fc.constantFrom(1, 2, 3), async (raw, index) => {
        const reply = await ready.signers[index - 1]!.handle(raw);
        checkReply(ready, index, reply);
        expect(reply.type).toBe('protocol.error');
      }),
      fuzzParams(150),
    );
  });

  it('a signer answers mutated real (signed) coordinator messages without throwing', async () => {
    const sealed = validIncoming.map(({ type, body }) => ready.send(1, type as 'heartbeat', 'fuzz-session', body as { nonce: string }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedBytes(sealed.map(encode), 3, 100_000), mutatedJson(sealed).map(encode)), async (raw) => {
        checkReply(ready, 1, await ready.signers[0]!.handle(raw));
      }),
      fuzzParams(150),
    );
  });

  it('correctly signed messages with fuzzed bodies get a signed answer, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: validIncoming.length - 1 }).chain((i) => fc.tuple(fc.constant(validIncoming[i]!.type), mutatedJson([validIncoming[i]!.body]))),
        fc.boolean(),
        fc.constantFrom(1, 2, 3),
        fc.nat({ max: 4 }),
        async ([type, body], useFresh, index, session) => {
          const group = useFresh ? fresh : ready;
          const msg = sealRaw(type, `fuzz-${session}`, 0, index, body, group.coordinatorKey);
          checkReply(group, index, await group.signers[index - 1]!.handle(encode(msg)));
        },
      ),
      fuzzParams(150),
    );
  });

  it('the coordinator refuses random and mutated signer replies with MessageRejectedError', async () => {
    const replies: ProtocolMessage[] = [];
    for (const type of ['sign.nonce-request', 'heartbeat'] as const) {
      const valid = validIncoming.find((v) => v.type === type)!;
      replies.push(await ready.signers[0]!.handle(encode(ready.send(1, type, 'fuzz-replies', valid.body as never))));
    }
    await fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), anyJson(), mutatedBytes(replies.map(encode), 3, 50_000), mutatedJson(replies)), (raw) => {
        onlyErrors(() => ready.auth.authenticate(raw, { types: MESSAGE_TYPES }), [MessageRejectedError]);
      }),
      fuzzParams(1_500),
    );
  });

  it('signed signer replies with fuzzed bodies are refused as malformed and blamed on their (authentic) sender', async () => {
    const bodies: Array<{ type: MessageType; body: unknown }> = [
      { type: 'sign.nonce', body: { pubnonce: '02'.repeat(66) } },
      { type: 'sign.partial', body: { roastSession: 1, psig: '11'.repeat(32), nextPubnonce: '02'.repeat(66), sessionDigest: '5e'.repeat(32) } },
      { type: 'sign.refusal', body: { code: 'policy', reason: 'no' } },
      { type: 'dkg.round1', body: { pmsg1: 'ab' } },
      { type: 'dkg.done', body: { threshPk: '02'.repeat(33), pubshare: '03'.repeat(33) } },
      { type: 'signer.announce', body: { hostPubkey: '02'.repeat(33), groupKey: null, ready: false } },
    ];
    await fc.assert(
      fc.property(fc.constantFrom(...bodies).chain((b) => fc.tuple(fc.constant(b.type), mutatedJson([b.body]))), ([type, body]) => {
        const msg = sealRaw(type, 'fuzz-replies', 2, 0, body, ready.hostKeys[1]!);
        const r = onlyErrors(() => ready.auth.authenticate(msg, { types: MESSAGE_TYPES }), [MessageRejectedError]);
        if (r instanceof MessageRejectedError) expect(r.sender).toBe(2);
      }),
      fuzzParams(200),
    );
  });

  it('an envelope wrong in every field (a long list of reasons) is still answered with a protocol.error', async () => {
    const wrong = { type: 'nope', sessionId: '!'.repeat(300), sender: 0, recipient: 1, messageId: 'x', sentAt: -1, inReplyTo: 'y', body: 1, sig: 'z'.repeat(500) };
    const reply = await ready.signers[0]!.handle(encode(wrong));
    checkReply(ready, 1, reply);
    expect(reply.type).toBe('protocol.error');
  });
});

describe('fuzz: signing requests', () => {
  it('resolveSigningRequest refuses mutated requests with SigningRequestError', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedJson([messageRequest, sighashRequest]), anyJson()), (input) => void onlyErrors(() => resolveSigningRequest(input), [SigningRequestError])),
      fuzzParams(4_000),
    );
  });

  it('resolveSigningRequest: mutated transaction bytes in a sighash request', () => {
    const tx = Buffer.from((sighashRequest.payload as { transaction: string }).transaction, 'hex');
    fc.assert(
      fc.property(mutatedBytes([new Uint8Array(tx)], 4, 10_000), fc.nat({ max: 3 }), (bytes, inputIndex) => {
        const request = { ...sighashRequest, payload: { ...sighashRequest.payload, transaction: bytesToHex(bytes), inputIndex } };
        onlyErrors(() => resolveSigningRequest(request), [SigningRequestError]);
      }),
      fuzzParams(3_000),
    );
  });
});

describe('fuzz: the coordinator side of an attempt', () => {
  it('SigningAttempt takes any (schema-valid) pubnonce and partial signature without throwing', async () => {
    const group = new Group(3, 2);
    await group.runDkg();
    const nonce = await group.ask(1, 'sign.nonce-request', attemptSessionId('fuzz-req-1', 1), { request: messageRequest });
    const realNonce = (nonce.body as { pubnonce: string }).pubnonce;
    const groupKey = group.signers[0]!.share!.groupKey;
    const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map(bytesToHex);
    const pubnonce = fc.oneof(hex(66), fc.constant(realNonce), mutatedBytes([Buffer.from(realNonce, 'hex')], 2, 66).filter((b) => b.length === 66).map(bytesToHex));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(1, 2, 3), fc.constantFrom('nonce', 'partial', 'refusal'), pubnonce, hex(32), fc.nat({ max: 4 })), { maxLength: 8 }), async (steps) => {
        const attempt = new SigningAttempt({ groupKey, request: resolveSigningRequest(messageRequest), sessionId: attemptSessionId('fuzz-req-1', 1) });
        for (const [signer, kind, p, psig, session] of steps) {
          if (kind === 'nonce') attempt.onNonce(signer, p);
          else if (kind === 'partial') attempt.onPartial(signer, session, psig, p);
          else attempt.onRefusal(signer, 'fuzz');
        }
      }),
      fuzzParams(400),
    );
  });
});
