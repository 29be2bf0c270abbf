// The user's side over the service's REST API: its keys, its party state (packages/channels state machine), and the
// calls `tapbridge channel` makes.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  buildCommitment,
  buildCooperativeClose,
  completeFundingSpend,
  decodeChannelParams,
  encodeChannelParams,
  openParty,
  openingPoints,
  openingSignature,
  ownPoint,
  pointOf,
  propose,
  receiveAcceptance,
  type ChannelParams,
  type PartyKeys,
  type PartyState,
} from '@tapbridge/channels';
import { taprootOutput, type Transaction } from '@tapbridge/bitcoin';

export const secret = (label: string): Uint8Array => sha256(new TextEncoder().encode(`channel-service test ${label}`));

// The answers are checked field by field by the tests.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export class TestUser {
  readonly fundingSecret: Uint8Array;
  readonly revocationBaseSecret: Uint8Array;
  readonly keys: PartyKeys;
  readonly payoutScript: Uint8Array;
  params!: ChannelParams;
  state!: PartyState;
  channelId = '';

  constructor(readonly base: string, label: string, readonly evmAddress = '0x' + '5a'.repeat(20)) {
    this.fundingSecret = secret(`${label} funding`);
    this.revocationBaseSecret = secret(`${label} revocation`);
    this.keys = { perCommitmentSeed: secret(`${label} seed`), sign: (m) => schnorr.sign(m, this.fundingSecret, new Uint8Array(32)) };
    this.payoutScript = taprootOutput(schnorr.getPublicKey(secret(`${label} payout`))).scriptPubKey;
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${this.base}${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: await res.json() };
  }

  async ok(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
    const r = await this.call(method, path, body);
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** Builds the parameters from custody's terms for a funding outpoint, registers, and opens its own party state. */
  async register(funding: { txid: string; vout: number }, capacity: bigint): Promise<void> {
    const t = await this.ok('GET', '/v1/channel-terms');
    this.params = decodeChannelParams({
      ...encodeChannelParams({
        funding,
        capacity,
        userKey: schnorr.getPublicKey(this.fundingSecret),
        groupKey: hexToBytes(t.groupKey),
        userRevocationBasepoint: pointOf(this.revocationBaseSecret),
        custodyRevocationBasepoint: hexToBytes(t.custodyRevocationBasepoint),
        userPayoutScript: this.payoutScript,
        custodyPayoutScript: hexToBytes(t.custodyPayoutScript),
        challengePeriod: t.challengePeriod,
        commitmentFee: BigInt(t.commitmentFee),
      }),
    });
    this.channelId = `${funding.txid}:${funding.vout}`;
    const points = (await this.ok('GET', `/v1/channels/${this.channelId}/opening-points`)).points.map((p: string) => hexToBytes(p)) as [Uint8Array, Uint8Array];
    const s0 = { stateNumber: 0, user: capacity, custody: 0n };
    const mine = openingPoints(this.keys);
    const r = await this.ok('POST', '/v1/channels', {
      params: encodeChannelParams(this.params),
      evmAddress: this.evmAddress,
      userPoints: mine.map((p) => bytesToHex(p)),
      userSignature: bytesToHex(openingSignature(this.params, 'user', this.keys, s0, points[0])),
    });
    this.state = openParty(this.params, 'user', this.keys, s0, points, hexToBytes(r.signature));
  }

  /** One update to `userSats` on the user's side: propose, take custody's acceptance, revoke. */
  async update(userSats: bigint): Promise<Json> {
    const next = { stateNumber: this.state.latest.sheet.stateNumber + 1, user: userSats, custody: this.params.capacity - userSats };
    const a = propose(this.params, this.state, this.keys, next);
    this.state = a.state;
    const acc = await this.ok('POST', `/v1/channels/${this.channelId}/proposals`, { sheet: { stateNumber: next.stateNumber, user: next.user.toString(), custody: next.custody.toString() }, signature: bytesToHex(a.message.signature) });
    const b = receiveAcceptance(this.params, this.state, this.keys, {
      type: 'acceptance',
      stateNumber: acc.stateNumber,
      signature: hexToBytes(acc.signature),
      revocation: { stateNumber: acc.revocation.stateNumber, secret: hexToBytes(acc.revocation.secret), nextPoint: hexToBytes(acc.revocation.nextPoint) },
    });
    this.state = b.state;
    return this.ok('POST', `/v1/channels/${this.channelId}/revocations`, { stateNumber: b.message.stateNumber, secret: bytesToHex(b.message.secret), nextPoint: bytesToHex(b.message.nextPoint) });
  }

  /** The user's latest commitment, signed by both: what it can publish alone. */
  latestCommitment(): { tx: Transaction; commitment: ReturnType<typeof buildCommitment> } {
    const s = this.state.latest.sheet;
    const commitment = buildCommitment(this.params, 'user', s, ownPoint(this.keys, s.stateNumber));
    return { tx: completeFundingSpend(this.params, commitment.tx, { user: this.keys.sign(commitment.sighash), custody: this.state.latest.counterpartySignature }), commitment };
  }

  closeSignature(fee: bigint, feePaidBy: 'user' | 'custody'): string {
    return bytesToHex(this.keys.sign(buildCooperativeClose(this.params, { sheet: this.state.latest.sheet, fee, feePaidBy }).sighash));
  }
}
