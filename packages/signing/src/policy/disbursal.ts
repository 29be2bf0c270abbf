// The `disbursal` policy (issue 11, the escape hatch after the sweep; Nomic's checkpoint disbursal is the model) and
// the check the sweep policy runs before it signs any sweep: the custody output the sweep creates must already have
// its emergency disbursal fully signed, and this signer must have stored it.
//
// Both rebuild the disbursal with packages/bitcoin's deterministic builder from the signer's OWN view: registered
// recovery scripts and balances at the checkpoint L2 block (final, recent), its Bitcoin tip (the lock must be tip +
// D within a tolerance), its custody script and recovery leaf, its fee-rate bounds. A request is signed only when its
// transaction is byte for byte one of the rebuilt ones; a sweep's disbursal is accepted only when every signature
// verifies against the rebuilt sighashes under the custody output key.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  buildDisbursal,
  disbursalExcessScript,
  disbursalSighashes,
  disbursalTransactions,
  encodeTransactionHex,
  finalizeDisbursal,
  hashToHex,
  DisbursalError,
  type DisbursalBuild,
} from '@tapbridge/bitcoin';
import { canonicalJson } from '../canonical.js';
import { custodyFor, type Custody, type CustodySettings } from '../custody.js';
import type { SigningRequest } from '../request.js';
import type { BitcoinView } from '../view/bitcoin.js';
import type { DisbursalStore } from '../view/disbursals.js';
import type { RecoveryView } from '../view/recovery.js';
import { outpointKey } from '../view/signed-sweeps.js';
import type { DisbursalTerms, SweepDisbursal } from './disbursal-context.js';
import { ALLOW, deny, type PolicyDecision, type SigningPolicy } from './policy.js';

export const DISBURSAL_PURPOSE = 'disbursal';

export interface DisbursalRules {
  /** D: blocks between the signer's Bitcoin tip and the lock (mainnet 2016 ≈ 2 weeks; devnet a few). */
  lockBlocks: number;
  /** The lock may differ from tip + D by this many blocks (the coordinator's tip lags or leads a little). */
  lockToleranceBlocks: number;
  minFeeRate: number;
  maxFeeRate: number;
  /** The checkpoint L2 block may be at most this far behind the signer's newest final block. */
  maxCheckpointAgeBlocks: bigint;
}

export interface DisbursalCheckOptions {
  groupKey: () => Uint8Array | undefined;
  custody: CustodySettings;
  bitcoin: BitcoinView;
  recovery: RecoveryView;
  store: DisbursalStore;
  rules: DisbursalRules;
  now?: () => number;
  /** Longest a rebuilt disbursal is reused for the other transactions' requests (default 60 s). */
  cacheTtlMs?: number;
}

export interface CustodyOutput {
  txid: string;
  vout: number;
  value: bigint;
}

export type DisbursalVerdict = { ok: true; build: DisbursalBuild; custody: Custody } | { ok: false; reason: string };

/** The excess destination: the recovery leaf's keys, or (key-path-only custody) the custody script itself. */
export function excessScriptFor(custody: Custody, settings: CustodySettings): Uint8Array {
  if (settings.recoveryKeys.length === 0) return hexToBytes(custody.scriptPubKey);
  return disbursalExcessScript({ recoveryLock: settings.recoveryLock, keys: settings.recoveryKeys.map((k) => hexToBytes(k)), threshold: settings.recoveryThreshold });
}

/** The disbursal rebuilt from the caller's own view: what the coordinator builds and every signer checks against. */
export async function rebuildDisbursal(
  o: Pick<DisbursalCheckOptions, 'custody' | 'recovery'>,
  custody: Custody,
  output: CustodyOutput,
  terms: DisbursalTerms,
): Promise<DisbursalBuild> {
  const snapshot = await o.recovery.snapshot(BigInt(terms.l2Block));
  return buildDisbursal({
    custody: { ...output, scriptPubKey: hexToBytes(custody.scriptPubKey) },
    // The bridge does not count what it minted, so the pro rata basis is what the registered accounts hold: the
    // unregistered accounts' part of custody stays with the excess (the recovery keys).
    liabilitySats: snapshot.accounts.reduce((s, a) => s + a.balanceSats, 0n),
    accounts: snapshot.accounts,
    excessScriptPubKey: excessScriptFor(custody, o.custody),
    lockHeight: terms.lockHeight,
    feeRate: terms.feeRate,
    ...(terms.maxTxWeight === undefined ? {} : { maxTxWeight: terms.maxTxWeight }),
  });
}

export class DisbursalChecker {
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #cache = new Map<string, { at: number; verdict: DisbursalVerdict }>();

  constructor(private readonly o: DisbursalCheckOptions) {
    this.#now = o.now ?? Date.now;
    this.#ttl = o.cacheTtlMs ?? 60_000;
    const r = o.rules;
    if (!Number.isInteger(r.lockBlocks) || r.lockBlocks < 1) throw new RangeError('lockBlocks must be a positive integer');
    if (!Number.isInteger(r.lockToleranceBlocks) || r.lockToleranceBlocks < 0 || r.lockToleranceBlocks >= r.lockBlocks) throw new RangeError('lockToleranceBlocks must be 0..lockBlocks-1');
    if (!(r.minFeeRate >= 1) || !(r.maxFeeRate >= r.minFeeRate)) throw new RangeError(`disbursal fee-rate bounds [${r.minFeeRate}, ${r.maxFeeRate}] are not 1 ≤ min ≤ max`);
  }

  custody(): Custody | undefined {
    const key = this.o.groupKey();
    return key ? custodyFor(key, this.o.custody) : undefined;
  }

  /** Rebuilds the disbursal of `output` under `terms` after checking the terms against this signer's own view. */
  async expected(output: CustodyOutput, terms: DisbursalTerms): Promise<DisbursalVerdict> {
    const custody = this.custody();
    if (!custody) return { ok: false, reason: 'this signer holds no key share yet' };
    const key = canonicalJson({ output: { ...output, value: String(output.value) }, terms, custody: custody.scriptPubKey });
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (cached && now - cached.at <= this.#ttl) return cached.verdict;
    const verdict = await this.#expected(custody, output, terms);
    this.#cache.set(key, { at: now, verdict });
    if (this.#cache.size > 32) this.#cache.delete(this.#cache.keys().next().value!);
    return verdict;
  }

  async #expected(custody: Custody, output: CustodyOutput, terms: DisbursalTerms): Promise<DisbursalVerdict> {
    const r = this.o.rules;
    if (terms.feeRate < r.minFeeRate || terms.feeRate > r.maxFeeRate) return { ok: false, reason: `disbursal fee rate ${terms.feeRate} sat/vB is outside [${r.minFeeRate}, ${r.maxFeeRate}]` };
    const tip = await this.o.bitcoin.tipHeight();
    if (tip < 0) return { ok: false, reason: 'this signer has no Bitcoin header chain yet' };
    const want = tip + r.lockBlocks;
    if (Math.abs(terms.lockHeight - want) > r.lockToleranceBlocks)
      return { ok: false, reason: `disbursal lock height ${terms.lockHeight} is not tip ${tip} + ${r.lockBlocks} (±${r.lockToleranceBlocks})` };
    const final = await this.o.recovery.finalBlock();
    const block = BigInt(terms.l2Block);
    if (block > final) return { ok: false, reason: `checkpoint L2 block ${block} is not final on this signer's L2 view (final: ${final})` };
    if (final - block > r.maxCheckpointAgeBlocks) return { ok: false, reason: `checkpoint L2 block ${block} is ${final - block} blocks behind the final block ${final} (most ${r.maxCheckpointAgeBlocks})` };
    try {
      return { ok: true, build: await rebuildDisbursal(this.o, custody, output, terms), custody };
    } catch (err) {
      if (err instanceof DisbursalError) return { ok: false, reason: `the disbursal cannot be built from this signer's view: ${err.message}` };
      throw err;
    }
  }

  /**
   * A sweep's claim that output 0's disbursal is signed: rebuilt from this signer's view, every signature verified
   * against its sighash under the custody output key, then stored signed. Only then may the sweep be signed.
   */
  async verifySigned(output: CustodyOutput, disbursal: SweepDisbursal | undefined): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!disbursal) return { ok: false, reason: `the custody output ${output.txid}:${output.vout} has no signed emergency disbursal: context.sweep.disbursal is required before the sweep is signed` };
    const custodyKey = outpointKey(output.txid, output.vout);
    const verdict = await this.expected(output, disbursal.terms);
    if (!verdict.ok) return { ok: false, reason: `disbursal of ${custodyKey}: ${verdict.reason}` };
    const sighashes = disbursalSighashes(verdict.build);
    if (disbursal.signatures.length !== sighashes.length)
      return { ok: false, reason: `disbursal of ${custodyKey}: ${disbursal.signatures.length} signatures for its ${sighashes.length} transactions` };
    const outputKey = hexToBytes(verdict.custody.outputKey);
    const sigs = disbursal.signatures.map((s) => hexToBytes(s));
    for (let i = 0; i < sigs.length; i++) {
      if (!schnorr.verify(sigs[i]!, sighashes[i]!, outputKey)) return { ok: false, reason: `disbursal of ${custodyKey}: signature ${i} does not verify under the custody key` };
    }
    const signed = finalizeDisbursal(verdict.build, sigs);
    await this.o.store.record({ custody: custodyKey, terms: disbursal.terms, txids: signed.map((s) => s.txid), signedHex: signed.map((s) => s.hex), at: new Date(this.#now()) });
    return { ok: true };
  }
}

/**
 * Signs one transaction of an emergency disbursal: the request's transaction must be one the signer rebuilds itself
 * (same bytes, same prevout), spent on the custody key path (custody tweak, no leaf hash, SIGHASH_DEFAULT).
 */
export class DisbursalPolicy implements SigningPolicy {
  readonly name = 'disbursal';

  constructor(
    private readonly checker: DisbursalChecker,
    private readonly store: DisbursalStore,
  ) {}

  async evaluate(request: SigningRequest): Promise<PolicyDecision> {
    const t = request.transaction;
    if (request.kind !== 'taproot-sighash' || !t) return deny('a disbursal is signed as a BIP341 sighash of its transaction, not a raw message');
    if (t.hashType !== 0x00) return deny('a disbursal transaction is signed with SIGHASH_DEFAULT only');
    if (t.leafHash) return deny('a disbursal transaction spends on the custody key path: no leaf hash');
    if (t.inputIndex !== 0 || t.tx.inputs.length !== 1) return deny('a disbursal transaction has exactly one input');
    const context = request.context?.disbursal;
    if (!context) return deny('a disbursal request must carry context.disbursal (the custody output and the terms)');
    const output = { txid: context.custody.txid, vout: context.custody.vout, value: BigInt(context.custody.value) };
    const verdict = await this.checker.expected(output, context.terms);
    if (!verdict.ok) return deny(verdict.reason);
    if (canonicalJson(request.tweak) !== canonicalJson(verdict.custody.tweak)) return deny(`a disbursal transaction is signed with custody's own tweak (${canonicalJson(verdict.custody.tweak)})`);
    const hex = encodeTransactionHex(t.tx, { witness: false });
    const match = disbursalTransactions(verdict.build).find((x) => x.hex === hex);
    if (!match) return deny(`transaction ${hashToHex(t.tx.txid)} is not part of the disbursal this signer builds for ${output.txid}:${output.vout} at L2 block ${context.terms.l2Block}`);
    const prevout = t.prevouts[0]!;
    if (prevout.value !== match.prevout.value || bytesToHex(prevout.scriptPubKey) !== bytesToHex(match.prevout.scriptPubKey))
      return deny(`transaction ${match.txid}: the prevout named is not the one it spends`);
    await this.store.record({ custody: outpointKey(output.txid, output.vout), terms: context.terms, txids: disbursalTransactions(verdict.build).map((x) => x.txid), at: new Date() });
    return ALLOW;
  }
}
