// `tapbridge channel open|pay|return|status|close|force-close|watch` (issue 12): a user's side of a state channel
// with the custody, over the channel service's REST API. The user's secrets come from one 32-byte key file (the
// funding key, the revocation basepoint secret and the per-commitment seed are derived from it, so one backup
// restores all three); the channel's state lives in a channel file, written (atomically) BEFORE each message leaves,
// so a crash equals a lost message and the same command again resends.
// force-close and watch need only a Bitcoin source (Esplora): they work with the L2 and every signer stopped.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addressToOutputScript, bytesToHex, encodeTransactionHex, hexToBytes, type Transaction } from '@tapbridge/bitcoin';
import { EsploraSource } from '@tapbridge/chain-source';
import {
  buildCommitment,
  buildCooperativeClose,
  buildDelayedSweep,
  completeDelayedSweep,
  completeFundingSpend,
  decodeChannelParams,
  decodePartyState,
  encodeChannelParams,
  encodePartyState,
  fundingAddress,
  openParty,
  openingPoints,
  openingSignature,
  ownPoint,
  pointOf,
  propose,
  receiveAcceptance,
  resend,
  Watchtower,
  type ChannelParams,
  type PartyKeys,
  type PartyState,
} from '@tapbridge/channels';
import { z } from 'zod';
import { run } from './run.js';

export class ChannelCommandError extends Error {
  override readonly name = 'ChannelCommandError';
}

/** The user's keys, all from one 32-byte secret (HMAC-SHA256 with a label per purpose). */
export interface UserChannelKeys {
  fundingSecret: Uint8Array;
  revocationBaseSecret: Uint8Array;
  party: PartyKeys;
}

export function userKeysFrom(root: Uint8Array): UserChannelKeys {
  if (root.length !== 32) throw new ChannelCommandError('the channel key must be 32 bytes');
  const derive = (label: string): Uint8Array => hmac(sha256, root, new TextEncoder().encode(`tapbridge/channel/${label}`));
  const fundingSecret = derive('funding');
  return {
    fundingSecret,
    revocationBaseSecret: derive('revocation-basepoint'),
    party: { perCommitmentSeed: derive('per-commitment-seed'), sign: (m) => schnorr.sign(m, fundingSecret, crypto.getRandomValues(new Uint8Array(32))) },
  };
}

export function readChannelKey(path: string): UserChannelKeys {
  const raw = readFileSync(path, 'utf8').trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{64}$/.test(raw)) throw new ChannelCommandError(`the channel key in ${path} must be 32 bytes of hex`);
  return userKeysFrom(hexToBytes(raw.toLowerCase()));
}

const channelFileSchema = z
  .object({
    version: z.literal(1),
    service: z.string().url(),
    channelId: z.string(),
    evmAddress: z.string(),
    params: z.unknown(),
    state: z.string(),
  })
  .strict();

export interface ChannelFile {
  service: string;
  channelId: string;
  evmAddress: string;
  params: ChannelParams;
  state: PartyState;
}

export function readChannelFile(path: string): ChannelFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ChannelCommandError(`channel file ${path} is not readable JSON: ${(err as Error).message}`);
  }
  const f = channelFileSchema.safeParse(raw);
  if (!f.success) throw new ChannelCommandError(`channel file ${path} is malformed: ${f.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return { service: f.data.service, channelId: f.data.channelId, evmAddress: f.data.evmAddress, params: decodeChannelParams(f.data.params), state: decodePartyState(f.data.state) };
}

/** Written to a temporary file and renamed: a crash leaves the old file or the new one, never half of one. */
export function writeChannelFile(path: string, f: ChannelFile): void {
  const text = JSON.stringify({ version: 1, service: f.service, channelId: f.channelId, evmAddress: f.evmAddress, params: encodeChannelParams(f.params), state: encodePartyState(f.state) }, null, 2);
  writeFileSync(`${path}.tmp`, text, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

async function call(service: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown> & { [k: string]: never | unknown }> {
  const res = await fetch(`${service.replace(/\/+$/, '')}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: reported below
  }
  if (!res.ok) throw new ChannelCommandError(`${method} ${path}: ${res.status} ${(parsed as { detail?: string } | null)?.detail ?? text}`);
  return parsed as Record<string, unknown>;
}

const termsSchema = z.object({ network: z.string(), groupKey: z.string(), custodyRevocationBasepoint: z.string(), custodyPayoutScript: z.string(), challengePeriod: z.number(), commitmentFee: z.string() }).passthrough();

/** The address to fund for a channel with this key (the funding output names the user's key and the custody group key). */
export async function channelAddress(o: { service: string; keys: UserChannelKeys }): Promise<{ address: string; network: string }> {
  const t = termsSchema.parse(await call(o.service, 'GET', '/v1/channel-terms'));
  return { address: fundingAddress(t.network, { userKey: schnorr.getPublicKey(o.keys.fundingSecret), groupKey: hexToBytes(t.groupKey) }), network: t.network };
}

/** Registers the channel of funding outpoint `funding` (before you broadcast it) and writes the channel file. */
export async function channelOpen(o: { service: string; keys: UserChannelKeys; file: string; funding: string; sats: bigint; evmAddress: string; payoutAddress: string }): Promise<ChannelFile> {
  const m = /^([0-9a-f]{64}):(0|[1-9][0-9]{0,9})$/.exec(o.funding);
  if (!m) throw new ChannelCommandError(`--funding must be txid:vout, got "${o.funding}"`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(o.evmAddress)) throw new ChannelCommandError(`--evm-address must be a 20-byte 0x address, got "${o.evmAddress}"`);
  const t = termsSchema.parse(await call(o.service, 'GET', '/v1/channel-terms'));
  const params: ChannelParams = {
    funding: { txid: m[1]!, vout: Number(m[2]) },
    capacity: o.sats,
    userKey: schnorr.getPublicKey(o.keys.fundingSecret),
    groupKey: hexToBytes(t.groupKey),
    userRevocationBasepoint: pointOf(o.keys.revocationBaseSecret),
    custodyRevocationBasepoint: hexToBytes(t.custodyRevocationBasepoint),
    userPayoutScript: addressToOutputScript(o.payoutAddress, t.network),
    custodyPayoutScript: hexToBytes(t.custodyPayoutScript),
    challengePeriod: t.challengePeriod,
    commitmentFee: BigInt(t.commitmentFee),
  };
  const channelId = `${params.funding.txid}:${params.funding.vout}`;
  const points = z.object({ points: z.tuple([z.string(), z.string()]) }).parse(await call(o.service, 'GET', `/v1/channels/${channelId}/opening-points`)).points.map((p) => hexToBytes(p)) as [Uint8Array, Uint8Array];
  const s0 = { stateNumber: 0, user: o.sats, custody: 0n };
  const r = z.object({ signature: z.string() }).passthrough().parse(
    await call(o.service, 'POST', '/v1/channels', {
      params: encodeChannelParams(params),
      evmAddress: o.evmAddress,
      userPoints: openingPoints(o.keys.party).map((p) => bytesToHex(p)),
      userSignature: bytesToHex(openingSignature(params, 'user', o.keys.party, s0, points[0])),
    }),
  );
  // Checks custody's signature on our commitment 0: without it the funding must not be broadcast.
  const state = openParty(params, 'user', o.keys.party, s0, points, hexToBytes(r.signature));
  const f: ChannelFile = { service: o.service, channelId, evmAddress: o.evmAddress.toLowerCase(), params, state };
  writeChannelFile(o.file, f);
  return f;
}

const acceptanceSchema = z.object({ stateNumber: z.number(), signature: z.string(), revocation: z.object({ stateNumber: z.number(), secret: z.string(), nextPoint: z.string() }) }).passthrough();

/** Moves `sats` to custody's side (a payment, credited on the L2) or, with `returnBurn`, back to the user after the L2 burn. */
export async function channelUpdate(o: { keys: UserChannelKeys; file: string; sats: bigint; direction: 'pay' | 'return' }): Promise<{ stateNumber: number; user: string; custody: string }> {
  const f = readChannelFile(o.file);
  // An update left in flight by a crash: finish it first (resend is idempotent on the service).
  if (f.state.pending) await finishPending(o.keys, o.file, f);
  const g = readChannelFile(o.file);
  const s = g.state.latest.sheet;
  if (o.sats <= 0n) throw new ChannelCommandError('--sats must be positive');
  const next = o.direction === 'pay' ? { stateNumber: s.stateNumber + 1, user: s.user - o.sats, custody: s.custody + o.sats } : { stateNumber: s.stateNumber + 1, user: s.user + o.sats, custody: s.custody - o.sats };
  if (next.user < 0n || next.custody < 0n) throw new ChannelCommandError(`the channel cannot move ${o.sats} sat (user ${s.user}, custody ${s.custody})`);
  if (o.direction === 'return') await call(g.service, 'POST', `/v1/channels/${g.channelId}/returns`, { stateNumber: next.stateNumber, amountSats: o.sats.toString() });
  const a = propose(g.params, g.state, o.keys.party, next);
  writeChannelFile(o.file, { ...g, state: a.state });
  await finishPending(o.keys, o.file, { ...g, state: a.state });
  return { stateNumber: next.stateNumber, user: next.user.toString(), custody: next.custody.toString() };
}

async function finishPending(keys: UserChannelKeys, file: string, f: ChannelFile): Promise<void> {
  const msg = resend(f.state);
  let state = f.state;
  if (msg?.type === 'proposal') {
    const acc = acceptanceSchema.parse(
      await call(f.service, 'POST', `/v1/channels/${f.channelId}/proposals`, { sheet: { stateNumber: msg.sheet.stateNumber, user: msg.sheet.user.toString(), custody: msg.sheet.custody.toString() }, signature: bytesToHex(msg.signature) }),
    );
    const b = receiveAcceptance(f.params, state, keys.party, {
      type: 'acceptance',
      stateNumber: acc.stateNumber,
      signature: hexToBytes(acc.signature),
      revocation: { stateNumber: acc.revocation.stateNumber, secret: hexToBytes(acc.revocation.secret), nextPoint: hexToBytes(acc.revocation.nextPoint) },
    });
    state = b.state;
    writeChannelFile(file, { ...f, state });
  }
  const rev = resend(state);
  if (rev?.type === 'revocation') await call(f.service, 'POST', `/v1/channels/${f.channelId}/revocations`, { stateNumber: rev.stateNumber, secret: bytesToHex(rev.secret), nextPoint: bytesToHex(rev.nextPoint) });
}

export async function channelStatus(o: { file: string }): Promise<unknown> {
  const f = readChannelFile(o.file);
  const local = { channelId: f.channelId, signedState: f.state.latest.sheet.stateNumber, user: f.state.latest.sheet.user.toString(), custody: f.state.latest.sheet.custody.toString(), updateInFlight: f.state.pending?.sheet.stateNumber ?? null };
  try {
    return { local, service: await call(f.service, 'GET', `/v1/channels/${f.channelId}`) };
  } catch (err) {
    return { local, service: null, serviceError: (err as Error).message };
  }
}

export async function channelClose(o: { keys: UserChannelKeys; file: string; fee: bigint }): Promise<unknown> {
  const f = readChannelFile(o.file);
  const close = buildCooperativeClose(f.params, { sheet: f.state.latest.sheet, fee: o.fee, feePaidBy: 'user' });
  return call(f.service, 'POST', `/v1/channels/${f.channelId}/close`, { feeSats: o.fee.toString(), feePaidBy: 'user', userSignature: bytesToHex(o.keys.party.sign(close.sighash)) });
}

/** The user's latest commitment, signed by both (custody signed it when the state was made): publishable alone. */
export function latestCommitment(keys: UserChannelKeys, f: ChannelFile): { tx: Transaction; commitment: ReturnType<typeof buildCommitment> } {
  const s = f.state.latest.sheet;
  const commitment = buildCommitment(f.params, 'user', s, ownPoint(keys.party, s.stateNumber));
  return { tx: completeFundingSpend(f.params, commitment.tx, { user: keys.party.sign(commitment.sighash), custody: f.state.latest.counterpartySignature }), commitment };
}

/**
 * Force close without the service or any signer: publishes the latest commitment; with `sweep`, spends the user's
 * own output after the challenge period (the chain refuses it as non-BIP68-final before).
 */
export async function channelForceClose(o: { keys: UserChannelKeys; file: string; esplora: string; sweepFee?: bigint }): Promise<{ commitmentTxid: string; sweepTxid?: string }> {
  const f = readChannelFile(o.file);
  const source = new EsploraSource({ url: o.esplora });
  const { tx, commitment } = latestCommitment(o.keys, f);
  const commitmentTxid = (await source.broadcastTransaction(encodeTransactionHex(tx))).txid;
  if (o.sweepFee === undefined) return { commitmentTxid };
  const sweep = buildDelayedSweep(f.params, { commitment, destinationScript: f.params.userPayoutScript, fee: o.sweepFee, holderPerCommitmentPoint: ownPoint(o.keys.party, f.state.latest.sheet.stateNumber) });
  const signed = completeDelayedSweep(sweep, o.keys.party.sign(sweep.sighash));
  return { commitmentTxid, sweepTxid: (await source.broadcastTransaction(encodeTransactionHex(signed))).txid };
}

/** One watch pass for the user: a revoked custody commitment on the chain is penalised to the user's payout script. */
export async function channelWatchOnce(o: { keys: UserChannelKeys; file: string; esplora: string; penaltyFee: bigint }) {
  const f = readChannelFile(o.file);
  const tower = new Watchtower({ chain: new EsploraSource({ url: o.esplora }), penaltyFee: o.penaltyFee });
  return tower.pass([{ channelId: f.channelId, params: f.params, side: 'user', state: f.state, perCommitmentSeed: o.keys.party.perCommitmentSeed, revocationBasepointSecret: o.keys.revocationBaseSecret, penaltyScript: f.params.userPayoutScript }]);
}

function sats(v: string, what: string): bigint {
  if (!/^(0|[1-9][0-9]{0,18})$/.test(v)) throw new ChannelCommandError(`${what} must be a whole number of satoshis, got "${v}"`);
  return BigInt(v);
}


const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
const defaultService = (): string => process.env.CHANNEL_SERVICE_URL ?? 'http://127.0.0.1:4010';

export function registerChannel(program: Command): void {
  const channel = program.command('channel').description('a state channel with the custody: your BTC stays under your own signature (issue 12)');
  channel
    .command('address')
    .description('the funding address for a channel with this key')
    .requiredOption('--key-file <path>', 'your 32-byte channel key (hex)')
    .option('--service <url>', 'channel service base URL (default $CHANNEL_SERVICE_URL or http://127.0.0.1:4010)')
    .action((o: { keyFile: string; service?: string }) => run(async () => print(await channelAddress({ service: o.service ?? defaultService(), keys: readChannelKey(o.keyFile) }))));
  channel
    .command('open')
    .description('register the channel of a funding output (exchange the state-0 signatures); broadcast the funding only after this succeeds')
    .requiredOption('--key-file <path>', 'your 32-byte channel key (hex)')
    .requiredOption('--channel-file <path>', 'where the channel state is kept (back it up)')
    .requiredOption('--funding <txid:vout>', 'the funding output (paying `tapbridge channel address`)')
    .requiredOption('--sats <n>', 'its value (the channel capacity)')
    .requiredOption('--evm-address <0x…>', 'the L2 address that owns the channel account and receives payments as L2 BTC')
    .requiredOption('--payout <address>', 'your Bitcoin address for closes')
    .option('--service <url>', 'channel service base URL (default $CHANNEL_SERVICE_URL or http://127.0.0.1:4010)')
    .action((o: { keyFile: string; channelFile: string; funding: string; sats: string; evmAddress: string; payout: string; service?: string }) =>
      run(async () => {
        const f = await channelOpen({ service: o.service ?? defaultService(), keys: readChannelKey(o.keyFile), file: o.channelFile, funding: o.funding, sats: sats(o.sats, '--sats'), evmAddress: o.evmAddress, payoutAddress: o.payout });
        print({ channelId: f.channelId, state: 0, next: 'broadcast the funding transaction; the L2 account opens once it is confirmed' });
      }),
    );
  for (const direction of ['pay', 'return'] as const)
    channel
      .command(direction)
      .description(direction === 'pay' ? 'move sats to custody\'s side: credited to your EVM address as L2 BTC' : 'burn L2 BTC back into the channel: moves custody\'s side to you')
      .requiredOption('--key-file <path>', 'your 32-byte channel key (hex)')
      .requiredOption('--channel-file <path>', 'the channel file')
      .requiredOption('--sats <n>', 'amount in satoshis')
      .action((o: { keyFile: string; channelFile: string; sats: string }) => run(async () => print(await channelUpdate({ keys: readChannelKey(o.keyFile), file: o.channelFile, sats: sats(o.sats, '--sats'), direction }))));
  channel
    .command('status')
    .description('the channel as your file and the service see it')
    .requiredOption('--channel-file <path>', 'the channel file')
    .action((o: { channelFile: string }) => run(async () => print(await channelStatus({ file: o.channelFile }))));
  channel
    .command('close')
    .description('cooperative close of the latest state: one transaction pays both sides (you pay the fee)')
    .requiredOption('--key-file <path>', 'your 32-byte channel key (hex)')
    .requiredOption('--channel-file <path>', 'the channel file')
    .option('--fee <sats>', 'close fee in sats', '1000')
    .action((o: { keyFile: string; channelFile: string; fee: string }) => run(async () => print(await channelClose({ keys: readChannelKey(o.keyFile), file: o.channelFile, fee: sats(o.fee, '--fee') }))));
  channel
    .command('force-close')
    .description('publish your latest state without the service or the signers; with --sweep (after the challenge period) take your side')
    .requiredOption('--key-file <path>', 'your 32-byte channel key (hex)')
    .requiredOption('--channel-file <path>', 'the channel file')
    .requiredOption('--esplora <url>', 'a Bitcoin Esplora API')
    .option('--sweep <fee>', 'also sweep your own output, paying this fee (only valid after the challenge period)')
    .action((o: { keyFile: string; channelFile: string; esplora: string; sweep?: string }) =>
      run(async () => print(await channelForceClose({ keys: readChannelKey(o.keyFile), file: o.channelFile, esplora: o.esplora, ...(o.sweep ? { sweepFee: sats(o.sweep, '--sweep') } : {}) }))),
    );
  channel
    .command('watch')
    .description('guard against a stale state published by the custody: penalise it (all of it to you)')
    .requiredOption('--key-file <path>', 'your 32-byte channel key (hex)')
    .requiredOption('--channel-file <path>', 'the channel file')
    .requiredOption('--esplora <url>', 'a Bitcoin Esplora API')
    .option('--penalty-fee <sats>', 'fee of a penalty transaction', '2000')
    .option('--interval <ms>', 'time between passes', '30000')
    .option('--once', 'one pass, then exit')
    .action((o: { keyFile: string; channelFile: string; esplora: string; penaltyFee: string; interval: string; once?: boolean }) =>
      run(async () => {
        const keys = readChannelKey(o.keyFile);
        for (;;) {
          // The channel file is re-read each pass: it holds the newest revocation secrets.
          print(await channelWatchOnce({ keys, file: o.channelFile, esplora: o.esplora, penaltyFee: sats(o.penaltyFee, '--penalty-fee') }));
          if (o.once) return;
          await new Promise((r) => setTimeout(r, Number(o.interval)));
        }
      }),
    );
}
