// No key material anywhere it could leak: a coordinator and three signers (t = 2) run as real processes with
// secrets this test generates (passphrases, host secret keys, an API key); after the DKG it reads each signer's
// share secret from its encrypted key file. Then it drives the normal path (DKG, a signature) and the error paths
// (bad bodies, missing and wrong API keys, bad ids, policy refusals, protocol messages with bad signatures, a
// signer started with the wrong passphrase), and greps every log line, every /metrics page, every error body and
// every protocol error reply for each secret in hex (both cases), base64 and base64url. None may appear.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { connectMessaging, type Messaging } from '@tapbridge/messaging';
import { createApiKey, withApiKeyDatabase } from '@tapbridge/runtime';
import { encodeMessage, generateHostKey, hostPublicKey, messageDigest, openKeyShare, sealKeyFile, sealMessage, signerSubject, type UnsignedMessage } from '@tapbridge/signing';
import { createTestDatabase, freePort, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppProcess, buildApps, NATS_URL } from './support/harness.js';

const N = 3;
const T = 2;
const prefix = uniquePrefix('secrets');

/** A passphrase as an operator would pick one: long, random, printable. */
const passphrase = () => Buffer.from(randomBytes(18)).toString('base64url');

const signerPassphrases = Array.from({ length: N }, passphrase);
const signerHostKeys = Array.from({ length: N }, () => generateHostKey());
const coordinatorHostKey = generateHostKey();

/** Every secret by name, as bytes (key material) or text (passphrases, API keys). */
const secrets = new Map<string, Uint8Array | string>();
signerPassphrases.forEach((p, i) => secrets.set(`signer ${i + 1} passphrase`, p));
signerHostKeys.forEach((k, i) => secrets.set(`signer ${i + 1} host secret key`, k));
secrets.set('coordinator host secret key', coordinatorHostKey);

/** The forms a secret could take in text: hex (both cases), base64, base64url; text secrets as they are. */
function forms(secret: Uint8Array | string): string[] {
  if (typeof secret === 'string') return [secret];
  const b = Buffer.from(secret);
  return [b.toString('hex'), b.toString('hex').toUpperCase(), b.toString('base64'), b.toString('base64url')];
}

/** Names of the secrets found in `text` (empty when clean). */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const [name, secret] of secrets) if (forms(secret).some((f) => text.includes(f))) found.push(name);
  return found;
}

let databases: TestDatabase[] = [];
let dataRoot: string;
let coordinator: AppProcess;
const signers: AppProcess[] = [];
let messaging: Messaging;
let apiKey: string;
/** Everything collected that a client or an operator can see: error bodies, protocol error replies, /metrics. */
const seen: Array<{ where: string; text: string }> = [];

async function http(app: AppProcess, method: string, route: string, body?: unknown, headers: Record<string, string> = {}, raw?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${app.port}${route}`, {
    method,
    headers: { ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  seen.push({ where: `${app.name} ${method} ${route} → ${res.status}`, text });
  return { status: res.status, text };
}

// A test restarts a signer twice (a failed start, then a good one); each start derives scrypt (N = 2^17) keys, slow on a
// loaded 2-core machine (it timed out at 60 s under load 31).
// One story, in order: the first cases make the secrets exist (DKG, a signature) and provoke every error a client or
// operator can see, collecting what they saw in `seen`; the last searches all of it. Run alone, the last fails loudly
// (no share secrets to look for) rather than passing on too little.
describe.sequential('secrets never reach logs, metrics or error bodies', { timeout: 300_000 }, () => {
  beforeAll(async () => {
    buildApps();
    databases = await Promise.all(Array.from({ length: N + 1 }, () => createTestDatabase()));
    dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-secrets-'));
    const hostPubkeys = signerHostKeys.map((k) => bytesToHex(hostPublicKey(k))).join(',');
    for (let i = 1; i <= N; i++) {
      const dir = path.join(dataRoot, `signer-${i}`);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      fs.writeFileSync(path.join(dir, 'host.key'), await sealKeyFile({ kind: 'host-key', signerIndex: i, groupKey: null, secret: signerHostKeys[i - 1]! }, signerPassphrases[i - 1]!), { mode: 0o600 });
    }
    const common = { STREAM_PREFIX: prefix, SIGNER_COUNT: String(N), SIGNER_THRESHOLD: String(T), BITCOIN_NETWORK: 'regtest', SIGNER_HOST_PUBKEYS: hostPubkeys, LOG_LEVEL: 'debug' };
    coordinator = new AppProcess('signing-coordinator', 'coordinator', { ...common, DATABASE_URL: databases[0]!.url, COORDINATOR_HOST_KEY: bytesToHex(coordinatorHostKey), HEARTBEAT_INTERVAL_MS: '1000' }, await freePort());
    apiKey = (await withApiKeyDatabase(databases[0]!.url, (db) => createApiKey(db, { name: 'secrets-e2e', scopes: ['signatures:create'] }))).key;
    secrets.set('API key', apiKey);
    for (let i = 1; i <= N; i++) {
      signers.push(
        new AppProcess(`signer-${i}`, 'signer', {
          ...common,
          SIGNER_INDEX: String(i),
          DATABASE_URL: databases[i]!.url,
          SIGNER_KEY_PASSPHRASE: signerPassphrases[i - 1]!,
          SIGNER_DATA_DIR: path.join(dataRoot, `signer-${i}`),
          COORDINATOR_PUBKEY: bytesToHex(hostPublicKey(coordinatorHostKey)),
          SIGNER_ALLOW_RAW_MESSAGES: 'true',
          ANNOUNCE_INTERVAL_MS: '500',
        }, await freePort()),
      );
    }
    await Promise.all([coordinator.start(), ...signers.map((s) => s.start())]);
    messaging = await connectMessaging({ url: NATS_URL, prefix });
  }, 900_000);

  afterAll(async () => {
    await messaging?.close();
    await Promise.all([coordinator, ...signers].filter(Boolean).map((p) => p.stop().catch(() => undefined)));
    await Promise.all(databases.map((d) => d.drop().catch(() => undefined)));
    if (dataRoot) fs.rmSync(dataRoot, { recursive: true, force: true });
  });

  it('runs the DKG and signs, so the share secrets exist (read back from the encrypted key files)', async () => {
    await waitFor('the custody address', async () => (await http(coordinator, 'GET', '/custody')).status === 200 || undefined, 60_000, 250);
    for (let i = 1; i <= N; i++) {
      const share = await openKeyShare(fs.readFileSync(path.join(dataRoot, `signer-${i}`, 'share.key'), 'utf8'), signerPassphrases[i - 1]!, i);
      secrets.set(`signer ${i} share secret`, share.secshare);
    }
    const created = await http(coordinator, 'POST', '/signatures', { message: bytesToHex(randomBytes(32)), purpose: 'message' }, { 'x-api-key': apiKey });
    expect(created.status).toBe(202);
    const id = (JSON.parse(created.text) as { id: string }).id;
    const view = await waitFor('the signature', async () => {
      const r = await http(coordinator, 'GET', `/signatures/${id}`, undefined, { 'x-api-key': apiKey });
      const v = JSON.parse(r.text) as { status: string };
      return v.status !== 'pending' ? v : undefined;
    }, 60_000, 200);
    expect(view.status).toBe('signed');
  });

  it('answers bad requests with errors that name no secret', async () => {
    const key = { 'x-api-key': apiKey };
    // A key that differs from the real one in its last character: the error must not echo what was sent either.
    const wrongKey = { 'x-api-key': apiKey.slice(0, -1) + (apiKey.endsWith('A') ? 'B' : 'A') };
    const expectations: Array<[number, () => Promise<{ status: number }>]> = [
      [401, () => http(coordinator, 'POST', '/signatures', { message: 'ab'.repeat(32), purpose: 'message' })],
      [401, () => http(coordinator, 'POST', '/signatures', { message: 'ab'.repeat(32), purpose: 'message' }, wrongKey)],
      [401, () => http(coordinator, 'GET', '/signatures/6f1c9a8e-3b57-4c41-9d1e-0a4c2b7f1e55', undefined, { authorization: `Bearer ${apiKey}x` })],
      [400, () => http(coordinator, 'POST', '/signatures', undefined, key, '{"message":')],
      [400, () => http(coordinator, 'POST', '/signatures', { message: 'ab'.repeat(32), purpose: 'message', secretKey: 'x' }, key)],
      [400, () => http(coordinator, 'POST', '/signatures', { sighash: { transaction: 'zz', inputIndex: 0, prevouts: [] }, purpose: 'sweep' }, key)],
      [400, () => http(coordinator, 'POST', '/signatures', { sighash: { transaction: '0200000000000000', inputIndex: 5, prevouts: [{ value: '1', scriptPubKey: '51' }] }, purpose: 'sweep' }, key)],
      [400, () => http(coordinator, 'GET', '/signatures/%00', undefined, key)],
      [404, () => http(coordinator, 'GET', '/signatures/6f1c9a8e-3b57-4c41-9d1e-0a4c2b7f1e55', undefined, key)],
      [413, () => http(coordinator, 'POST', '/signatures', undefined, key, JSON.stringify({ message: 'ab'.repeat(32), purpose: 'message', pad: 'x'.repeat(2 * 1024 * 1024) }))],
      [404, () => http(signers[0]!, 'POST', '/status', {})],
      [404, () => http(signers[0]!, 'GET', '/share')],
    ];
    for (const [status, request] of expectations) expect((await request()).status).toBe(status);
    // A request every signer's policy refuses (no policy for the purpose): refusals are logged and recorded.
    const refused = await http(coordinator, 'POST', '/signatures', { message: 'cd'.repeat(32), purpose: 'nosuchpurpose' }, key);
    expect(refused.status).toBe(202);
    const id = (JSON.parse(refused.text) as { id: string }).id;
    await waitFor('the refused request to fail', async () => (JSON.parse((await http(coordinator, 'GET', `/signatures/${id}`, undefined, key)).text) as { status: string }).status === 'failed' || undefined, 60_000, 250);
  });

  it('answers protocol messages with bad signatures with signed errors that name no secret', async () => {
    const ask = async (i: number, bytes: Uint8Array): Promise<string> => {
      const reply = await messaging.nc.request(messaging.naming.subject(signerSubject(i)), bytes, { timeout: 10_000 });
      const text = Buffer.from(reply.data).toString('utf8');
      seen.push({ where: `signer ${i} protocol reply`, text });
      return text;
    };
    const impostor = generateHostKey();
    for (let i = 1; i <= N; i++) {
      // Signed by a key that is not the coordinator's.
      const forged = sealMessage({ type: 'heartbeat', sessionId: 'hb-forged', sender: 0, recipient: i, body: { nonce: '0102030405060708' } }, impostor);
      expect(JSON.parse(await ask(i, encodeMessage(forged)))).toMatchObject({ type: 'protocol.error', body: { code: 'bad_signature' } });
      // The right key, a signature over other bytes.
      const real = sealMessage({ type: 'heartbeat', sessionId: 'hb-tampered', sender: 0, recipient: i, body: { nonce: '0102030405060708' } }, coordinatorHostKey);
      expect(JSON.parse(await ask(i, encodeMessage({ ...real, body: { nonce: '0807060504030201' } })))).toMatchObject({ type: 'protocol.error', body: { code: 'bad_signature' } });
      // Not JSON at all, and a signed body that breaks its schema.
      expect(JSON.parse(await ask(i, randomBytes(64)))).toMatchObject({ type: 'protocol.error' });
      const unsigned = { type: 'dkg.start', sessionId: 'dkg-bad', sender: 0, recipient: i, messageId: bytesToHex(randomBytes(16)), sentAt: Date.now(), body: { t: 'x' } } as unknown as UnsignedMessage;
      const badBody = { ...unsigned, sig: bytesToHex(schnorr.sign(messageDigest(unsigned), coordinatorHostKey, randomBytes(32))) };
      expect(JSON.parse(await ask(i, encodeMessage(badBody as never)))).toMatchObject({ type: 'protocol.error' });
    }
  });

  it('a signer started with the wrong passphrase refuses to start, naming neither passphrase', async () => {
    const wrong = passphrase();
    secrets.set('wrong passphrase tried on signer 3', wrong);
    await signers[2]!.stop();
    const failure = await signers[2]!.start({ SIGNER_KEY_PASSPHRASE: wrong }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(failure, 'the signer must refuse a wrong passphrase').toBeInstanceOf(Error);
    seen.push({ where: 'signer 3 start failure', text: `${failure!.message}\n${String((failure!.cause as { output?: string } | undefined)?.output ?? '')}` });
    await signers[2]!.start();
  });

  it('finds no secret in any log, /metrics page, error body or protocol reply', async () => {
    for (const app of [coordinator, ...signers]) seen.push({ where: `${app.name} /metrics`, text: (await http(app, 'GET', '/metrics')).text });
    // The sanity check that the search works: the secrets are where they should be.
    expect(leaks(fs.readFileSync(path.join(dataRoot, 'signer-1', 'share.key'), 'utf8'))).toEqual([]);
    expect(leaks(`${bytesToHex(coordinatorHostKey)} ${apiKey}`)).toEqual(['coordinator host secret key', 'API key']);
    expect([...secrets.keys()].filter((k) => k.includes('share secret'))).toHaveLength(N);

    const found: string[] = [];
    for (const app of [coordinator, ...signers]) {
      const logs = app.logs();
      expect(logs.length, `${app.name} wrote logs`).toBeGreaterThan(1_000);
      for (const name of leaks(logs)) found.push(`${name} in the logs of ${app.name}`);
    }
    for (const { where, text } of seen) for (const name of leaks(text)) found.push(`${name} in ${where}`);
    expect(found).toEqual([]);
    expect(hexToBytes(bytesToHex(coordinatorHostKey))).toEqual(coordinatorHostKey);
  });
});
