// What an outside observer sees: the Bitcoin best chain (blocks through the devnet chain's RPC, decoded here), the
// L2 chain (blocks and bridge logs through the node's JSON-RPC) and the public API's statuses. Builds the Snapshot
// the checker judges; records when each mint and payout was first seen, for the latencies.
import { Block } from 'bitcoinjs-lib';
import { bytesToHex } from '@tapbridge/bitcoin';
import { BRIDGE_ADDRESS } from '@tapbridge/evm';
import { id as topicOf } from 'ethers';
import { mintKey, mintable, outpoint, type Payout, type Snapshot, type SubmittedDeposit, type SubmittedWithdrawal } from './checker.js';
import type { ChaosStack } from './stack.js';

const WITHDRAWAL_REQUESTED = topicOf('WithdrawalRequested(uint256,address,bytes,uint64,uint64)');
const txidOf = (hash: Uint8Array): string => bytesToHex(Uint8Array.from(hash).reverse());

interface L2Block {
  number: string;
  withdrawals?: Array<{ address: string; amount: string }>;
}

export class Observer {
  private readonly blocks = new Map<string, Block>();
  /** The L2 never reorgs (one sequencer): blocks are read once, in order. */
  private l2Next = 0;
  private readonly mintCounts = new Map<string, number>();
  private readonly mintEntries: string[] = [];
  private burnsSats = 0n;
  private readonly burnBySender = new Map<string, bigint>();
  readonly mintSeenAt = new Map<string, number>();
  readonly payoutSeenAt = new Map<string, number>();
  /** Heights below this hold nothing of ours (the custody did not exist yet). */
  constructor(private readonly stack: ChaosStack, private readonly fromHeight: number, private readonly users: ReadonlySet<string>) {}

  private l2Tail: Promise<unknown> = Promise.resolve();

  /**
   * New L2 blocks: mint entries (EIP-4895 list, amounts in gwei = sats × 10) and bridge burns. One scan at a time: the
   * continuous checker and the drain take snapshots at once, and two overlapping scans count the same range twice.
   * Likely cause of seed 20261887's custody "off by +117014" (L2 supply too low, as by burns counted twice; only burns
   * happened late in its drain, so no mint was doubled), while the API's own books balanced.
   */
  scanL2(): Promise<void> {
    const next = this.l2Tail.then(() => this.scanL2Once());
    this.l2Tail = next.catch(() => undefined);
    return next;
  }

  private async scanL2Once(): Promise<void> {
    const { evm } = this.stack;
    const head = Number(BigInt(await evm.call<string>('eth_blockNumber')));
    while (this.l2Next <= head) {
      const to = Math.min(head, this.l2Next + 199);
      const logs = await evm.call<Array<{ data: string; topics: string[] }>>('eth_getLogs', [{ fromBlock: `0x${this.l2Next.toString(16)}`, toBlock: `0x${to.toString(16)}`, address: BRIDGE_ADDRESS, topics: [WITHDRAWAL_REQUESTED] }]);
      const blocks: L2Block[] = [];
      for (let n = this.l2Next; n <= to; n++) blocks.push(await evm.call<L2Block>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]));
      const now = Date.now();
      for (const b of blocks)
        for (const w of b.withdrawals ?? []) {
          const sats = BigInt(w.amount) / 10n;
          const key = mintKey(w.address, sats);
          this.mintCounts.set(key, (this.mintCounts.get(key) ?? 0) + 1);
          this.mintEntries.push(key);
          if (!this.mintSeenAt.has(key)) this.mintSeenAt.set(key, now);
        }
      for (const l of logs) {
        // data: offset(bytes), amountSats, maxFeeSats, then the script bytes.
        const amount = BigInt(`0x${l.data.slice(2 + 64, 2 + 128)}`);
        this.burnsSats += amount;
        const sender = `0x${l.topics[2]!.slice(26)}`.toLowerCase();
        this.burnBySender.set(sender, (this.burnBySender.get(sender) ?? 0n) + amount);
      }
      this.l2Next = to + 1;
    }
  }

  private async bestChain(): Promise<Array<{ height: number; hash: string }>> {
    const { btc } = this.stack;
    const tip = await btc.call<number>('getblockcount');
    const heights: number[] = [];
    for (let h = this.fromHeight; h <= tip; h++) heights.push(h);
    const hashes: string[] = [];
    for (let i = 0; i < heights.length; i += 500) hashes.push(...(await btc.batch<string>(heights.slice(i, i + 500).map((h) => ['getblockhash', [h]]))));
    const missing = hashes.filter((h) => !this.blocks.has(h));
    for (let i = 0; i < missing.length; i += 50) {
      const raws = await btc.batch<string>(missing.slice(i, i + 50).map((h) => ['getblock', [h, 0]]));
      raws.forEach((raw, j) => this.blocks.set(missing[i + j]!, Block.fromHex(raw)));
    }
    return heights.map((height, i) => ({ height, hash: hashes[i]! }));
  }

  /** A full snapshot: both chains, and (if `api`) the public API's status of every request. */
  async snapshot(deposits: readonly SubmittedDeposit[], withdrawals: readonly SubmittedWithdrawal[], api: boolean): Promise<Snapshot> {
    await this.scanL2();
    const chain = await this.bestChain();
    const now = Date.now();
    const custodyScript = this.stack.custody.scriptPubKey;
    const registered = new Set(deposits.filter((d) => d.form !== 'reclaimed').map((d) => outpoint(d.txid, d.vout)));
    const reclaimable = new Set(deposits.filter((d) => d.form === 'reclaimed').map((d) => outpoint(d.txid, d.vout)));
    const byScript = new Map(withdrawals.map((w) => [w.scriptPubKey, w]));
    const reclaimScripts = new Map(deposits.filter((d) => mintable(d) && d.reclaimScript).map((d) => [outpoint(d.txid, d.vout), d.reclaimScript!]));
    const custodySet = new Map<string, bigint>();
    const depositsOnChain = new Set<string>();
    const reclaimedOnChain = new Set<string>();
    const payouts = new Map<string, Payout[]>();
    let feesPaid = 0n;
    for (const { height, hash } of chain) {
      const block = this.blocks.get(hash)!;
      for (const tx of block.transactions ?? []) {
        const txid = tx.getId();
        let spentCustody = 0n;
        let custodyInputs = 0;
        for (const input of tx.ins) {
          const op = outpoint(txidOf(input.hash), input.index);
          // A registered deposit taken back by its owner (held for capacity, then reclaimed after its lock): it
          // leaves custody, and it is no sweep of ours (its fee is the owner's).
          const reclaim = reclaimScripts.get(op);
          if (reclaim !== undefined && input.witness.some((w) => bytesToHex(w) === reclaim)) {
            reclaimedOnChain.add(op);
            custodySet.delete(op);
            continue;
          }
          const value = custodySet.get(op);
          if (value !== undefined) {
            spentCustody += value;
            custodyInputs++;
            custodySet.delete(op);
          }
          if (reclaimable.has(op)) reclaimedOnChain.add(op);
        }
        let paidOut = 0n;
        let shares = 0n;
        tx.outs.forEach((out, vout) => {
          const script = bytesToHex(out.script);
          const op = outpoint(txid, vout);
          if (script === custodyScript || registered.has(op)) custodySet.set(op, out.value);
          if (registered.has(op) || reclaimable.has(op)) depositsOnChain.add(op);
          const w = byScript.get(script);
          if (w) {
            const list = payouts.get(script) ?? [];
            list.push({ txid, vout, valueSats: out.value, height });
            payouts.set(script, list);
            if (!this.payoutSeenAt.has(w.id)) this.payoutSeenAt.set(w.id, now);
            shares += w.amountSats - out.value;
          }
          if (script !== custodyScript && !registered.has(op)) paidOut += out.value;
        });
        if (custodyInputs > 0 && custodyInputs === tx.ins.length) {
          // A sweep: every input is custody's. Its fee is what custody put in less what came out anywhere; the
          // withdrawals it paid bore `shares` of it.
          const custodyOut = tx.outs.reduce((n, o, vout) => (bytesToHex(o.script) === custodyScript || registered.has(outpoint(txid, vout)) ? n + o.value : n), 0n);
          const fee = spentCustody - custodyOut - paidOut;
          feesPaid += fee - shares;
        }
      }
    }
    const mints = new Map(this.mintCounts);
    const known = new Set(deposits.map((d) => mintKey(d.recipient, d.amountSats)));
    const unmatched = this.mintEntries.filter((k) => this.users.has(k.split(':')[0]!) && !known.has(k));
    let minted = 0n;
    for (const [k, c] of this.mintCounts) minted += BigInt(k.split(':')[1]!) * BigInt(c);
    const pending = withdrawals.filter((w) => (payouts.get(w.scriptPubKey) ?? []).length === 0).reduce((n, w) => n + w.amountSats, 0n);
    const snapshot: Snapshot = {
      takenAt: now, btcTip: chain.length ? chain[chain.length - 1]!.height : this.fromHeight,
      depositsOnChain, reclaimedOnChain, mints, unmatchedMints: unmatched, payouts,
      custodySats: [...custodySet.values()].reduce((a, b) => a + b, 0n),
      l2SupplySats: minted - this.burnsSats, pendingSats: pending, feesPaidSats: feesPaid,
      depositStatus: new Map(), withdrawalStatus: new Map(),
    };
    if (api) await this.readApi(snapshot, deposits, withdrawals);
    return snapshot;
  }

  /** Burns on the L2 not made by the load (none expected; reported if any). */
  get totalBurnsSats(): bigint {
    return this.burnsSats;
  }

  private async readApi(s: Snapshot, deposits: readonly SubmittedDeposit[], withdrawals: readonly SubmittedWithdrawal[]): Promise<void> {
    const { api } = this.stack;
    const get = async (url: string): Promise<Record<string, unknown> | undefined> => {
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(20_000) });
        return r.ok ? ((await r.json()) as Record<string, unknown>) : undefined;
      } catch {
        return undefined;
      }
    };
    const jobs: Array<() => Promise<void>> = [];
    for (const d of deposits.filter(mintable))
      jobs.push(async () => {
        const body = await get(api.deposit(d.txid, d.vout));
        if (typeof body?.status === 'string') s.depositStatus.set(outpoint(d.txid, d.vout), body.status);
      });
    for (const w of withdrawals)
      jobs.push(async () => {
        const body = await get(api.withdrawal(w.id));
        if (typeof body?.status === 'string') s.withdrawalStatus.set(w.id, body.status);
      });
    jobs.push(async () => {
      const body = await get(api.reserves);
      if (body) s.reserves = { invariantHolds: (body.invariantHolds as boolean | null) ?? null, discrepancySats: (body.discrepancySats as string | null) ?? null };
    });
    // Eight at a time: the gateway is one process on a loaded machine.
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }));
  }
}
