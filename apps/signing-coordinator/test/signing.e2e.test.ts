// The coordinator and five signers (t = 3) as real processes on real NATS and Postgres: DKG on first start, ROAST
// signatures under the custody output key, and the failures ROAST is there for.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { connectMessaging, deleteStreams, request, type Messaging } from '@tapbridge/messaging';
import { encodeMessage, generateHostKey, hostPublicKey, openKeyShare, sealMessage, signerSubject, ANNOUNCE_SUBJECT } from '@tapbridge/signing';
import { z } from 'zod';
import { NATS_API_SUBJECTS } from '../src/signing.rpc.js';
import { deleteRedisKeys, repoRoot, uniquePrefix, waitFor } from '@tapbridge/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApps, startCluster, type Cluster } from './support/harness.js';

interface Custody {
  groupKey: string;
  outputKey: string;
  address: string;
}
interface SignatureView {
  id: string;
  status: 'pending' | 'signed' | 'failed';
  message: string;
  outputKey: string;
  signature: string | null;
  signers: number[] | null;
  attempt: number;
  error: string | null;
  refusals: Array<{ signer: number; reason: string }>;
  misbehaviour: Array<{ signer: number; detail: string }>;
  sessions: Array<{ attempt: number; signers: number[]; pubnonces: string[] }>;
  responses: Array<{ attempt: number; signer: number; kind: string; pubnonce: string | null }>;
}

const N = 5;
const T = 3;
const coordinatorHostKey = generateHostKey();
let cluster: Cluster;
let custody: Custody;
let messaging: Messaging;
const prefix = uniquePrefix('sig');
/** Every pubnonce any signer committed to in this run: none may ever appear twice. */
const allPubnonces: string[] = [];

async function requestSignature(body: Record<string, unknown>): Promise<string> {
  const res = await cluster.coordinator.request<{ id: string }>('POST', '/signatures', body);
  expect(res.status).toBe(202);
  return res.body.id;
}

async function finished(id: string, timeoutMs = 30_000): Promise<SignatureView> {
  const view = await waitFor(`signature request ${id} to finish`, async () => {
    const r = await cluster.coordinator.get<SignatureView>(`/signatures/${id}`);
    return r.body.status !== 'pending' ? r.body : undefined;
  }, timeoutMs, 100);
  for (const r of view.responses) if (r.pubnonce) allPubnonces.push(r.pubnonce);
  return view;
}

function expectValid(view: SignatureView): void {
  expect(view.status, view.error ?? '').toBe('signed');
  expect(view.outputKey).toBe(custody.outputKey);
  expect(schnorr.verify(hexToBytes(view.signature as string), hexToBytes(view.message), hexToBytes(custody.outputKey))).toBe(true);
}

const signer = (i: number) => cluster.signers[i - 1] as NonNullable<Cluster['signers'][number]>;

// Tests restart signer processes; each start derives scrypt (N = 2^17) keys, slow on a loaded machine.
describe('threshold signing: coordinator + 5 signer processes, t = 3', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    buildApps();
    cluster = await startCluster({ prefix, n: N, t: T, coordinatorHostKey: bytesToHex(coordinatorHostKey), coordinatorPubkey: bytesToHex(hostPublicKey(coordinatorHostKey)) });
    messaging = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix });
  }, 600_000);

  // Every case signs under the group key the DKG makes on first start (its own hook: its own time budget).
  beforeAll(async () => {
    custody = await waitFor('the custody address', async () => {
      const r = await cluster.coordinator.get<Custody>('/custody');
      return r.status === 200 ? r.body : undefined;
      // The DKG waits for five signer processes to announce themselves: 30 s was too short at a load of 30.
    }, 180_000, 200);
  }, 300_000);

  // Each case starts from the cluster as configured: every process up, none with a fault or policy a case before set
  // (cases kill and restart processes; a failed one may leave them down).
  beforeEach(async () => {
    await Promise.all([cluster.coordinator, ...cluster.signers].map((p) => p.asConfigured()));
  }, 600_000);

  afterAll(async () => {
    await cluster?.close();
    // What the processes left under the prefix: the SIGNING stream and their rate-limit counters.
    if (messaging) await deleteStreams(messaging.jsm, messaging.naming);
    await messaging?.close();
    await deleteRedisKeys(`${prefix}:*`);
  });

  it('runs the DKG on first start and reports the custody address', async () => {
    expect(custody.address).toMatch(/^bcrt1p/);
    for (let i = 1; i <= N; i++) {
      const status = (await signer(i).get<{ groupKey: string; ready: boolean; pubshare: string }>('/status')).body;
      expect(status.ready).toBe(true);
      expect(status.groupKey).toBe(`02${custody.groupKey}`);
      expect(JSON.stringify(status)).not.toMatch(/secshare/);
    }
    expect(cluster.coordinator.logs()).toContain(`custody address: ${custody.address}`);
    const metrics = (await signer(1).get<string>('/metrics')).body;
    expect(metrics).toMatch(/^tapbridge_signer_ready 1$/m);
    // The share is on disk only encrypted, and neither it nor the passphrase ever reaches the logs.
    const share = await openKeyShare(fs.readFileSync(path.join(cluster.dataRoot, 'signer-1', 'share.key'), 'utf8'), 'devnet passphrase 1', 1);
    expect(bytesToHex(share.groupKey.xonly)).toBe(custody.groupKey);
    expect(fs.readFileSync(path.join(cluster.dataRoot, 'signer-1', 'share.key'), 'utf8')).not.toContain(bytesToHex(share.secshare));
    for (const s of cluster.signers) {
      expect(s.logs()).not.toContain(bytesToHex(share.secshare));
      expect(s.logs()).not.toContain('devnet passphrase');
    }
  });

  it('signs a message: a BIP340 signature valid for the Taproot output key', async () => {
    const id = await requestSignature({ message: bytesToHex(randomBytes(32)), purpose: 'message' });
    const view = await finished(id);
    expectValid(view);
    expect(view.signers).toHaveLength(T);
  });

  it('still signs when two signers are killed mid-session', async () => {
    const id = await requestSignature({ message: bytesToHex(randomBytes(32)), purpose: 'message' });
    await Promise.all([signer(1).kill(), signer(2).kill()]);
    const view = await finished(id);
    expectValid(view);
    expect(view.signers?.every((s) => s >= 3)).toBe(true);
    await Promise.all([signer(1).start(), signer(2).start()]);
  });

  it('names a signer sending bad partial signatures in signing.misbehaviour and completes without it', async () => {
    // With signers 4 and 5 down the first session must include the liar (1, 2, 3).
    await Promise.all([signer(3).kill(), signer(4).kill(), signer(5).kill()]);
    await signer(3).start({ SIGNER_FAULT: 'bad-partial' });
    const id = await requestSignature({ message: bytesToHex(randomBytes(32)), purpose: 'message' });
    await waitFor('signer 3 to be blamed', async () => (await cluster.coordinator.get<SignatureView>(`/signatures/${id}`)).body.misbehaviour.length > 0);
    await Promise.all([signer(4).start(), signer(5).start()]);
    const blamed = await finished(id);
    expectValid(blamed);
    expect(blamed.signers).not.toContain(3);
    expect(new Set(blamed.misbehaviour.map((m) => m.signer))).toEqual(new Set([3]));
    expect(blamed.misbehaviour[0]?.detail).toMatch(/invalid_partial_signature: signer 3: invalid partial signature/);
    const events = await waitFor('the misbehaviour event on the SIGNING stream', async () => {
      const stream = messaging.naming.stream('SIGNING');
      const info = await messaging.jsm.streams.info(stream);
      const out: Array<{ signerId: number; reason: string; sessionId: string }> = [];
      for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
        const m = await messaging.jsm.streams.getMessage(stream, { seq });
        if (m) out.push(JSON.parse(Buffer.from(m.data).toString('utf8')) as (typeof out)[number]);
      }
      return out.length > 0 ? out : undefined;
    });
    expect(events.every((e) => e.signerId === 3 && e.reason === 'invalid_partial_signature')).toBe(true);
    expect(events.some((e) => e.sessionId.startsWith(`${blamed.id}#`))).toBe(true);
    const signers = (await cluster.coordinator.get<Array<{ index: number; misbehaviourCount: number }>>('/signers')).body;
    expect(signers.find((s) => s.index === 3)?.misbehaviourCount).toBeGreaterThanOrEqual(1);
    expect(signers.filter((s) => s.index !== 3).every((s) => s.misbehaviourCount === 0)).toBe(true);
    await signer(3).kill();
    await signer(3).start();
  });

  it('a coordinator and signers restarted mid-session: fresh nonces in a new attempt, none reused, signature completes', async () => {
    // Only signers 1 and 2 are up: they commit to nonces, and the session cannot complete.
    await Promise.all([signer(3).kill(), signer(4).kill(), signer(5).kill()]);
    const id = await requestSignature({ message: bytesToHex(randomBytes(32)), purpose: 'message' });
    const before = await waitFor('nonce commitments from signers 1 and 2', async () => {
      const v = (await cluster.coordinator.get<SignatureView>(`/signatures/${id}`)).body;
      const nonces = v.responses.filter((r) => r.kind === 'nonce');
      return new Set(nonces.map((r) => r.signer)).size === 2 ? nonces : undefined;
    });
    // Crash the coordinator and signer 1 (which loses its secret nonce), then bring everyone back.
    await Promise.all([cluster.coordinator.kill(), signer(1).kill()]);
    await Promise.all([cluster.coordinator.start(), signer(1).start(), signer(3).start(), signer(4).start(), signer(5).start()]);
    const view = await finished(id, 40_000);
    expectValid(view);
    expect(view.attempt).toBeGreaterThanOrEqual(2);
    const oldNonces = new Set(before.map((r) => r.pubnonce));
    const laterNonces = view.responses.filter((r) => r.attempt >= 2 && r.pubnonce).map((r) => r.pubnonce);
    expect(laterNonces.length).toBeGreaterThanOrEqual(T);
    expect(laterNonces.filter((p) => oldNonces.has(p))).toEqual([]);
    // Sessions of the completing attempt used only that attempt's commitments.
    for (const s of view.sessions.filter((x) => x.attempt === view.attempt)) for (const p of s.pubnonces) expect(oldNonces.has(p)).toBe(false);
  });

  it('no pubnonce was ever committed to twice, across every session so far', async () => {
    // Its own sessions, so the check never rests on other cases having run; with theirs when they did.
    for (let i = 0; i < 8; i++) expectValid(await finished(await requestSignature({ message: bytesToHex(randomBytes(32)), purpose: 'message' })));
    expect(allPubnonces.length).toBeGreaterThan(20);
    expect(new Set(allPubnonces).size).toBe(allPubnonces.length);
  });

  it('a signer whose policy refuses does not sign; the refusal reason is in the session record', async () => {
    await signer(5).kill();
    await signer(5).start({ SIGNER_ALLOW_RAW_MESSAGES: 'false' });
    const view = await finished(await requestSignature({ message: bytesToHex(randomBytes(32)), purpose: 'message' }));
    expectValid(view);
    expect(view.signers).not.toContain(5);
    expect(view.refusals.find((r) => r.signer === 5)?.reason).toBe("policy: deny-unknown: no signing policy for purpose 'message'");
    // A 32-byte message under the heartbeat policy is refused by everyone: the request fails with the reasons.
    const refused = await finished(await requestSignature({ message: bytesToHex(randomBytes(32)), purpose: 'heartbeat' }));
    expect(refused.status).toBe('failed');
    expect(refused.signature).toBeNull();
    expect(refused.error).toMatch(/fewer than 3 signers will sign: .*heartbeat is 16 bytes, got 32/);
    // A real heartbeat (0xff × 8 ‖ nonce) is signed by every policy.
    const hb = await finished(await requestSignature({ message: `${'ff'.repeat(8)}${bytesToHex(randomBytes(8))}`, purpose: 'heartbeat' }));
    expectValid(hb);
  });

  it('signers reject forged and tampered coordinator messages, naming the sender', async () => {
    const request = { requestId: 'forged-1', purpose: 'message', payload: { kind: 'message' as const, message: bytesToHex(randomBytes(32)) }, tweak: { kind: 'key-path-only' as const } };
    const forged = sealMessage({ type: 'sign.nonce-request', sessionId: 'forged-1#1', sender: 0, recipient: 2, body: { request } }, generateHostKey());
    const ask = async (payload: unknown) => JSON.parse(Buffer.from((await messaging.nc.request(messaging.naming.subject(signerSubject(2)), encodeMessage(payload as never), { timeout: 3_000 })).data).toString('utf8')) as { type: string; sender: number; body: { code: string; message: string } };
    const r1 = await ask(forged);
    expect(r1.type).toBe('protocol.error');
    expect(r1.sender).toBe(2);
    expect(r1.body.message).toBe('rejected message from the coordinator (sender 0): bad_signature: sign.nonce-request for session forged-1#1 is not signed by the sender\'s host key');
    // A genuine DKG start, tampered after signing (another threshold).
    const genuine = sealMessage({ type: 'dkg.start', sessionId: 'dkg-x', sender: 0, recipient: 2, body: { t: 3, hostPubkeys: [bytesToHex(hostPublicKey(generateHostKey()))], coordinatorPubkey: bytesToHex(hostPublicKey(coordinatorHostKey)) } }, coordinatorHostKey);
    const r2 = await ask({ ...genuine, body: { ...genuine.body, t: 1 } });
    expect(r2.body.code).toBe('bad_signature');
    expect(r2.body.message).toMatch(/^rejected message from the coordinator \(sender 0\): bad_signature: dkg.start/);
    const metrics = (await signer(2).get<string>('/metrics')).body;
    expect(metrics).toMatch(/tapbridge_signer_messages_rejected_total\{code="bad_signature"\} [2-9]/);
  });

  it('serves the API over NATS request/reply too', async () => {
    const viaNats = await request(messaging, NATS_API_SUBJECTS.custody, {}, { response: z.object({ address: z.string(), outputKey: z.string() }) });
    expect(viaNats).toEqual({ address: custody.address, outputKey: custody.outputKey });
    const created = await request(messaging, NATS_API_SUBJECTS.create, { message: bytesToHex(randomBytes(32)), purpose: 'heartbeat' }, { response: z.object({ id: z.string() }) });
    const view = await finished(created.id);
    expect(view.status).toBe('failed');
    await expect(request(messaging, NATS_API_SUBJECTS.create, { message: 'nothex', purpose: 'message' }, { response: z.unknown() })).rejects.toThrow(/message must be 32 bytes/);
  });

  it('the CLI requests a signature with its API key and verifies it; without a key POST /signatures is refused', async () => {
    const withoutKey = await fetch(`http://127.0.0.1:${cluster.coordinator.port}/signatures`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: bytesToHex(randomBytes(32)), purpose: 'message' }),
    });
    expect(withoutKey.status).toBe(401);
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/cli/src/main.ts', 'signing', ...args], {
        cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, TAPBRIDGE_API_KEY: cluster.apiKey },
      });
    const message = bytesToHex(randomBytes(32));
    const signed = cli('sign', '--message', message, '--purpose', 'message', '--coordinator', `http://127.0.0.1:${cluster.coordinator.port}`);
    expect(signed.status, signed.stderr).toBe(0);
    const out = JSON.parse(signed.stdout) as { status: string; signature: string; outputKey: string };
    expect(out.status).toBe('signed');
    expect(out.outputKey).toBe(custody.outputKey);
    const verified = cli('verify', '--message', message, '--signature', out.signature, '--key', out.outputKey);
    expect([verified.status, JSON.parse(verified.stdout)]).toEqual([0, { valid: true }]);
    const other = cli('verify', '--message', bytesToHex(randomBytes(32)), '--signature', out.signature, '--key', out.outputKey);
    expect([other.status, JSON.parse(other.stdout)]).toEqual([1, { valid: false }]);
  });

  it('the coordinator rejects a forged announcement, naming the signer it claims to be', async () => {
    const forged = sealMessage({ type: 'signer.announce', sessionId: 'announce', sender: 4, recipient: 0, body: { hostPubkey: bytesToHex(hostPublicKey(generateHostKey())), groupKey: null, ready: true } }, generateHostKey());
    messaging.nc.publish(messaging.naming.subject(ANNOUNCE_SUBJECT), encodeMessage(forged));
    await waitFor('the rejection counter', async () => /tapbridge_signing_messages_rejected_total\{sender="4",reason="bad_signature"\} 1/.test((await cluster.coordinator.get<string>('/metrics')).body));
    expect(cluster.coordinator.logs()).toMatch(/rejected message from signer 4: bad_signature/);
    const signers = (await cluster.coordinator.get<Array<{ index: number; hostPubkey: string; live: boolean }>>('/signers')).body;
    expect(signers.find((s) => s.index === 4)?.hostPubkey).toBe((await signer(4).get<{ hostPubkey: string }>('/status')).body.hostPubkey);
    expect(signers.every((s) => s.live)).toBe(true);
  });
});
