// The `sweep` policy (issue 9): a signer signs an input of a sweep/payout transaction only if the WHOLE transaction
// checks out from its own view (sweep-check.ts) and this input is asked for the way such an input is spent: sighash
// DEFAULT (or ALL), the deposit leaf's own leaf hash with no tweak, or the key path with the custody tweak.
//
// The protocol runs the policy before the nonce and again before the partial signature. The whole-transaction check
// runs once per transaction per phase: requests for the other inputs reuse a verdict computed after their own
// previous evaluation, so every request's second evaluation sees a fresh check of the view. An approved sweep is
// recorded in the signer's SignedSweepStore before the verdict is returned, i.e. before any nonce leaves the signer.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { equalBytes, hashToHex } from '@tapbridge/bitcoin';
import { canonicalJson } from '../canonical.js';
import { custodyFor, type Custody, type CustodySettings } from '../custody.js';
import type { SigningRequest, SweepContext } from '../request.js';
import type { BitcoinView } from '../view/bitcoin.js';
import type { L2View } from '../view/l2.js';
import type { SignedSweepStore } from '../view/signed-sweeps.js';
import type { CustodyMigrationView } from '../rotation/migration.js';
import type { DisbursalChecker } from './disbursal.js';
import { ALLOW, deny, type PolicyDecision, type SigningPolicy } from './policy.js';
import { checkSweep, inputRoles, type InputShape, type SweepRules, type SweepVerdict } from './sweep-check.js';

export const SWEEP_PURPOSE = 'sweep';
/** BIP341 SIGHASH_DEFAULT and SIGHASH_ALL: both commit to every input and output. */
const ACCEPTED_HASH_TYPES: ReadonlySet<number> = new Set([0x00, 0x01]);

export interface SweepPolicyOptions {
  /** The signer's x-only group key; undefined before its DKG. */
  groupKey: () => Uint8Array | undefined;
  /** Network and recovery leaf settings: the custody script is derived from the group key exactly as the coordinator does. */
  custody: CustodySettings;
  bitcoin: BitcoinView;
  l2: L2View;
  signed: SignedSweepStore;
  rules: SweepRules;
  now?: () => number;
  /** Longest a whole-transaction verdict is reused for the other inputs' requests (default 60 s). */
  verdictTtlMs?: number;
  /**
   * Issue 11's escape hatch: when set, a sweep is signed only once the emergency disbursal of the custody output it
   * creates (output 0) is fully signed, verified from this signer's own view and stored (context.sweep.disbursal).
   */
  disbursal?: DisbursalChecker;
  /**
   * Issue 11's rotation: when a newer epoch's custody is published (and verifies), output 0 must pay it — the
   * migration sweep and every later sweep by this (old) set. Absent or null target: output 0 pays this signer's custody.
   */
  migration?: CustodyMigrationView;
}

interface CachedVerdict {
  verdict: SweepVerdict;
  seq: number;
  at: number;
}

/** Verdicts are few (one per transaction per phase); request marks are tiny and must outlive a large sweep's phases. */
const VERDICT_LIMIT = 64;
const REQUEST_LIMIT = 20_000;

export class SweepPolicy implements SigningPolicy {
  readonly name = 'sweep';
  readonly #now: () => number;
  readonly #ttl: number;
  readonly #verdicts = new Map<string, CachedVerdict>();
  /** The verdict sequence number each request was last approved or refused with. */
  readonly #lastSeen = new Map<string, number>();
  /** Input roles per transaction key (the deposit taproot commitments are EC work, the same for every input). */
  readonly #shapes = new Map<string, InputShape | string>();
  #seq = 0;
  /** One whole-transaction check at a time: the conflict rules read and write the signer's record. */
  #queue: Promise<unknown> = Promise.resolve();
  #custody: { key: string; custody: Custody; scriptPubKey: Uint8Array } | undefined;

  constructor(private readonly o: SweepPolicyOptions) {
    this.#now = o.now ?? Date.now;
    this.#ttl = o.verdictTtlMs ?? 60_000;
    if (!(o.rules.minFeeRate > 0) || !(o.rules.maxFeeRate >= o.rules.minFeeRate)) throw new RangeError(`fee-rate bounds [${o.rules.minFeeRate}, ${o.rules.maxFeeRate}] are not 0 < min ≤ max`);
    if (!Number.isInteger(o.rules.outflowLimitBps) || o.rules.outflowLimitBps < 0 || o.rules.outflowLimitBps > 10_000) throw new RangeError('outflowLimitBps must be 0..10000');
  }

  /** The custody output this signer expects (from its own group key), or undefined before its DKG. */
  custody(): { custody: Custody; scriptPubKey: Uint8Array } | undefined {
    const key = this.o.groupKey();
    if (!key) return undefined;
    const hex = bytesToHex(key);
    if (this.#custody?.key !== hex) {
      const custody = custodyFor(key, this.o.custody);
      this.#custody = { key: hex, custody, scriptPubKey: Uint8Array.from(Buffer.from(custody.scriptPubKey, 'hex')) };
    }
    return this.#custody;
  }

  async evaluate(request: SigningRequest): Promise<PolicyDecision> {
    const t = request.transaction;
    if (request.kind !== 'taproot-sighash' || !t || request.wire.payload.kind !== 'taproot-sighash') return deny('a sweep is signed as a BIP341 sighash of its transaction, not a raw message');
    if (!ACCEPTED_HASH_TYPES.has(t.hashType)) return deny(`sighash type 0x${t.hashType.toString(16).padStart(2, '0')} is not DEFAULT (0x00) or ALL (0x01)`);
    const context = request.context?.sweep;
    if (!context) return deny('a sweep request must carry context.sweep (the withdrawal ids paid and the deposit inputs)');
    const groupKey = this.o.groupKey();
    const custody = this.custody();
    if (!groupKey || !custody) return deny('this signer holds no key share yet');

    // This input, from the request alone: the leaf hash and tweak its kind of spend needs.
    const payload = request.wire.payload;
    const target = this.o.migration ? await this.o.migration.target(groupKey) : null;
    const outputCustody = target ? bytesToHex(target.scriptPubKey) : custody.custody.scriptPubKey;
    const key = bytesToHex(sha256(new TextEncoder().encode(canonicalJson({ tx: payload.transaction, prevouts: payload.prevouts, context, custody: custody.custody.scriptPubKey, outputCustody }))));
    let shaped = this.#shapes.get(key);
    if (shaped === undefined) {
      shaped = inputRoles(t.tx, context);
      this.#remember(this.#shapes, key, shaped, VERDICT_LIMIT);
    }
    if (typeof shaped === 'string') return deny(shaped);
    const role = shaped.roles[t.inputIndex]!;
    if (role.kind === 'deposit-leaf') {
      if (!t.leafHash) return deny(`input ${t.inputIndex} is a deposit-leaf spend: the request must name the deposit leaf's hash`);
      if (!equalBytes(t.leafHash, role.leafHash)) return deny(`input ${t.inputIndex}: leaf hash ${bytesToHex(t.leafHash)} is not the deposit leaf's (${bytesToHex(role.leafHash)})`);
      if (request.tweak.kind !== 'none') return deny(`input ${t.inputIndex} is a deposit-leaf spend, signed by the untweaked group key (tweak none), not tweak ${request.tweak.kind}`);
    } else {
      if (t.leafHash) return deny(`input ${t.inputIndex} is a key-path spend of custody: no leaf hash (got ${bytesToHex(t.leafHash)}, not a known deposit leaf)`);
      if (canonicalJson(request.tweak) !== canonicalJson(custody.custody.tweak))
        return deny(`input ${t.inputIndex} is a key-path spend of custody: the tweak must be custody's own (${canonicalJson(custody.custody.tweak)}), got ${canonicalJson(request.tweak)}`);
    }

    const verdict = await this.#wholeTransaction(request, key, shaped, context, groupKey, custody.scriptPubKey, target?.scriptPubKey);
    return verdict.allow ? ALLOW : deny(verdict.reason);
  }

  /** `key` names the transaction, its prevouts, the context and the custody script: what the verdict depends on. */
  async #wholeTransaction(request: SigningRequest, key: string, shape: InputShape, context: SweepContext, groupKey: Uint8Array, custodySpk: Uint8Array, migrationSpk: Uint8Array | undefined): Promise<SweepVerdict> {
    const t = request.transaction!;
    const run = this.#queue.then(async () => {
      const previous = this.#lastSeen.get(request.requestId) ?? -1;
      const cached = this.#verdicts.get(key);
      const now = this.#now();
      let entry = cached;
      if (!cached || cached.seq <= previous || now - cached.at > this.#ttl) {
        let verdict = await checkSweep({
          tx: t.tx,
          prevouts: t.prevouts,
          context,
          groupKey,
          custodyScriptPubKey: custodySpk,
          ...(migrationSpk ? { outputCustodyScriptPubKey: migrationSpk } : {}),
          bitcoin: this.o.bitcoin,
          l2: this.o.l2,
          signed: this.o.signed,
          rules: this.o.rules,
          now: new Date(now),
          shape,
        });
        if (verdict.allow && this.o.disbursal) {
          const created = await this.o.disbursal.verifySigned({ txid: hashToHex(t.tx.txid), vout: 0, value: t.tx.outputs[0]!.value }, context.disbursal);
          if (!created.ok) verdict = { allow: false, reason: created.reason };
        }
        // Durable before any nonce for it leaves this signer.
        if (verdict.allow) await this.o.signed.record(verdict.sweep);
        entry = { verdict, seq: ++this.#seq, at: now };
        this.#remember(this.#verdicts, key, entry, VERDICT_LIMIT);
      }
      this.#remember(this.#lastSeen, request.requestId, entry!.seq, REQUEST_LIMIT);
      return entry!.verdict;
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > limit) map.delete(map.keys().next().value as string);
  }
}
