// A small world for the sweep policy: a group key, its custody output, deposits confirmed on a fixed Bitcoin chain,
// burns on a fixed L2, and sweeps built with packages/bitcoin's buildSweep, as the pipeline builds them.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  buildOpReturnDepositScript,
  buildSweep,
  depositAddress,
  encodeTransaction,
  hashToHex,
  hexToHash,
  witnessScript,
  type DepositAddress,
  type SweepBuild,
  type SweepParams,
  type Transaction,
} from '@tapbridge/bitcoin';
import {
  FixedBitcoinView,
  FixedL2View,
  MemorySignedSweepStore,
  SweepPolicy,
  custodyFor,
  resolveSigningRequest,
  type Custody,
  type CustodyMigrationView,
  type CustodySettings,
  type PolicyDecision,
  type SigningRequestWire,
  type SweepContext,
  type SweepRules,
  type TweakSpec,
} from '../src/index.js';

export const seeded = (label: string): Uint8Array => sha256(new TextEncoder().encode(label));

export const GROUP_KEY = schnorr.getPublicKey(seeded('group secret'));
const BACKUP_KEYS = [1, 2, 3].map((i) => bytesToHex(schnorr.getPublicKey(seeded(`backup ${i}`))));
export const CUSTODY_SETTINGS: CustodySettings = { network: 'regtest', recoveryKeys: BACKUP_KEYS, recoveryThreshold: 2, recoveryLock: 4320 };
export const CUSTODY: Custody = custodyFor(GROUP_KEY, CUSTODY_SETTINGS);
export const CUSTODY_SPK = hexToBytes(CUSTODY.scriptPubKey);
const RECLAIM_KEY = schnorr.getPublicKey(seeded('reclaim'));

export const RULES: SweepRules = {
  depositConfirmations: 6,
  custodyConfirmations: 1,
  minFeeRate: 1,
  maxFeeRate: 500,
  outflowLimitBps: 10_000,
  outflowWindowMs: 24 * 3600_000,
  opReturnMaxFeeSats: 10_000n,
  reclaimSafetyBlocks: 3,
};

/** A P2TR payout script of user i. */
export const userScript = (i: number): Uint8Array => witnessScript(1, schnorr.getPublicKey(seeded(`user ${i}`)));

export interface WorldDeposit {
  txid: string;
  vout: number;
  value: bigint;
  address?: DepositAddress;
  kind: 'deposit-leaf' | 'custody-key-path';
  maxFeeSats: bigint;
}

export interface WorldBurn {
  id: bigint;
  scriptPubKey: Uint8Array;
  amountSats: bigint;
  maxFeeSats: bigint;
}

let fundingCounter = 0;
/** A transaction (unique by its dummy input) paying the given outputs. */
function fundingTx(outputs: Transaction['outputs']): Transaction {
  const prev = seeded(`funding ${fundingCounter++}`);
  return { version: 2, locktime: 0, inputs: [{ prevout: { txid: prev, vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }], outputs };
}

export class SweepWorld {
  readonly bitcoin: FixedBitcoinView;
  readonly l2: FixedL2View;
  readonly signed = new MemorySignedSweepStore();
  readonly policy: SweepPolicy;
  /** The group key deposits name and custody derives from (a fixed test key, or a real DKG's). */
  readonly groupKey: Uint8Array;
  readonly custody: Custody;
  readonly custodySpk: Uint8Array;
  readonly rules: SweepRules;
  clock = Date.UTC(2026, 11, 3, 12);
  #request = 0;

  readonly migration: CustodyMigrationView | undefined;

  constructor(rules: Partial<SweepRules> = {}, options: { tip?: number; l2Head?: bigint; groupKey?: Uint8Array; migration?: CustodyMigrationView } = {}) {
    this.migration = options.migration;
    this.groupKey = options.groupKey ?? GROUP_KEY;
    this.custody = options.groupKey ? custodyFor(options.groupKey, CUSTODY_SETTINGS) : CUSTODY;
    this.custodySpk = hexToBytes(this.custody.scriptPubKey);
    this.rules = { ...RULES, ...rules };
    this.bitcoin = new FixedBitcoinView(options.tip ?? 200);
    this.l2 = new FixedL2View(options.l2Head ?? 1_000n, 3n);
    this.policy = this.newPolicy();
  }

  /** A sweep policy over this world's chain and L2, with its own record unless one is given (one per signer). */
  newPolicy(signed: MemorySignedSweepStore = this.signed): SweepPolicy {
    return new SweepPolicy({
      groupKey: () => this.groupKey,
      custody: CUSTODY_SETTINGS,
      bitcoin: this.bitcoin,
      l2: this.l2,
      signed,
      rules: this.rules,
      now: () => this.clock,
      ...(this.migration ? { migration: this.migration } : {}),
    });
  }

  /** A deposit-leaf deposit of `value`, confirmed at `height` (null: not on the chain). */
  deposit(value: bigint, height: number | null = 100, o: { maxFee?: bigint; lockBlocks?: number; groupKey?: Uint8Array } = {}): WorldDeposit {
    const address = depositAddress({ network: 'regtest', groupKey: o.groupKey ?? this.groupKey, recipient: `0x${'ab'.repeat(20)}`, maxFee: o.maxFee ?? 20_000n, reclaimKey: RECLAIM_KEY, lockBlocks: o.lockBlocks ?? 1_000 });
    const tx = fundingTx([{ value, scriptPubKey: address.scriptPubKey }]);
    const raw = encodeTransaction(tx);
    const txid = height === null ? hashToHex(sha256(sha256(raw))) : this.bitcoin.confirm(raw, height);
    return { txid, vout: 0, value, address, kind: 'deposit-leaf', maxFeeSats: o.maxFee ?? 20_000n };
  }

  /** A simple-form deposit: pays the custody script, with an OP_RETURN naming the recipient. */
  simpleDeposit(value: bigint, height = 100): WorldDeposit {
    const tx = fundingTx([{ value, scriptPubKey: this.custodySpk }, { value: 0n, scriptPubKey: buildOpReturnDepositScript({ recipient: `0x${'cd'.repeat(20)}` }) }]);
    const txid = this.bitcoin.confirm(encodeTransaction(tx), height);
    return { txid, vout: 0, value, kind: 'custody-key-path', maxFeeSats: 10_000n };
  }

  /** A custody UTXO (e.g. the previous sweep's output 0). */
  custodyUtxo(value: bigint, height = 150): { txid: string; vout: number; value: bigint } {
    const txid = this.bitcoin.confirm(encodeTransaction(fundingTx([{ value, scriptPubKey: this.custodySpk }])), height);
    return { txid, vout: 0, value };
  }

  /** A burn on the L2 at `block` (final once the head is 3 blocks past it). */
  burn(id: bigint, amountSats: bigint, o: { maxFeeSats?: bigint; script?: Uint8Array; block?: bigint } = {}): WorldBurn {
    const burn = { id, scriptPubKey: o.script ?? userScript(Number(id)), amountSats, maxFeeSats: o.maxFeeSats ?? 5_000n };
    this.l2.burn({
      id,
      sender: `0x${'11'.repeat(20)}`,
      btcScriptPubKey: burn.scriptPubKey,
      amountSats,
      maxFeeSats: burn.maxFeeSats,
      blockNumber: o.block ?? 10n,
      blockHash: `0x${'22'.repeat(32)}`,
      transactionHash: `0x${bytesToHex(seeded(`burn ${id}`))}`,
      logIndex: 0,
    });
    return burn;
  }

  /** buildSweep params for these parts (the pipeline's shape). */
  params(parts: { custody?: { txid: string; vout: number; value: bigint }; deposits: WorldDeposit[]; burns: WorldBurn[]; fee?: bigint }): SweepParams {
    return {
      custodyScriptPubKey: this.custodySpk,
      ...(parts.custody ? { custodyInput: parts.custody } : {}),
      deposits: parts.deposits.map((d) => ({
        txid: d.txid,
        vout: d.vout,
        value: d.value,
        kind: d.kind,
        scriptPubKey: d.address ? d.address.scriptPubKey : this.custodySpk,
        ...(d.address ? { leafScript: d.address.depositLeaf.script, controlBlock: d.address.depositLeaf.controlBlock } : {}),
        maxFeeSats: d.maxFeeSats,
      })),
      withdrawals: parts.burns.map((b) => ({ id: b.id, scriptPubKey: b.scriptPubKey, amountSats: b.amountSats, maxFeeSats: b.maxFeeSats })),
      fee: parts.fee ?? 3_000n,
    };
  }

  /** The context a pipeline sends with every input's request. */
  static context(params: SweepParams, deposits: WorldDeposit[]): SweepContext {
    return {
      withdrawalIds: params.withdrawals.map((w) => w.id.toString()),
      deposits: deposits.map((d) =>
        d.address
          ? { txid: d.txid, vout: d.vout, kind: 'deposit-leaf' as const, depositScript: bytesToHex(d.address.depositLeaf.script), reclaimScript: bytesToHex(d.address.reclaimLeaf.script) }
          : { txid: d.txid, vout: d.vout, kind: 'custody-key-path' as const },
      ),
    };
  }

  /** The wire request for input `inputIndex` of a build, as the pipeline asks for it. */
  request(build: Pick<SweepBuild, 'tx' | 'prevouts' | 'inputSpends'>, context: SweepContext, inputIndex: number, o: { hashType?: number; leafHash?: string | null; tweak?: TweakSpec; tx?: Transaction } = {}): SigningRequestWire {
    const spend = build.inputSpends[inputIndex]!;
    const leafHash = o.leafHash === null ? undefined : (o.leafHash ?? (spend.leafHash ? bytesToHex(spend.leafHash) : undefined));
    const tweak: TweakSpec = o.tweak ?? (spend.kind === 'deposit-leaf' ? { kind: 'none' } : this.custody.tweak);
    return {
      requestId: `req-${++this.#request}`,
      purpose: 'sweep',
      payload: {
        kind: 'taproot-sighash',
        transaction: bytesToHex(encodeTransaction(o.tx ?? build.tx)),
        inputIndex,
        prevouts: build.prevouts.map((p) => ({ value: p.value.toString(), scriptPubKey: bytesToHex(p.scriptPubKey) })),
        ...(o.hashType !== undefined ? { hashType: o.hashType } : {}),
        ...(leafHash !== undefined ? { leafHash } : {}),
      },
      tweak,
      context: { sweep: context },
    };
  }

  async evaluate(wire: SigningRequestWire): Promise<PolicyDecision> {
    return this.policy.evaluate(resolveSigningRequest(wire));
  }

  /** Every input's request evaluated twice (nonce, then partial signature), as the protocol does; the first refusal. */
  async signAll(build: Pick<SweepBuild, 'tx' | 'prevouts' | 'inputSpends'>, context: SweepContext): Promise<PolicyDecision> {
    const wires = build.tx.inputs.map((_, i) => this.request(build, context, i));
    for (const phase of [1, 2]) {
      void phase;
      for (const w of wires) {
        const d = await this.evaluate(w);
        if (!d.allow) return d;
      }
    }
    return { allow: true };
  }

  /** Puts a built sweep on the chain at `height` (its outputs become spendable; its inputs spent). */
  confirmSweep(build: SweepBuild, height: number): void {
    this.bitcoin.confirm(encodeTransaction(build.tx), height);
    for (const input of build.tx.inputs) this.bitcoin.setSpend(hashToHex(input.prevout.txid), input.prevout.vout, { spent: true, spender: build.txid, confirmed: true });
  }

  /** Marks a sweep's inputs as spent by it in the mempool (broadcast, not confirmed). */
  broadcastSweep(build: SweepBuild): void {
    for (const input of build.tx.inputs) this.bitcoin.setSpend(hashToHex(input.prevout.txid), input.prevout.vout, { spent: true, spender: build.txid, confirmed: false });
  }
}

export { buildSweep, hexToHash };
