// The pipeline's hard cases against the real bridge (devnet chain, 5 signers t = 3, watcher, indexer, gateway):
// a stuck sweep replaced by RBF that confirms once; a payout's block reorged out that confirms again with nothing
// paid twice; the sweep-coordinator SIGKILLed at each named point of the pipeline (RBF included), paying nothing
// twice and losing nothing; a simple-form (OP_RETURN) deposit swept by the custody key path, with the sweep's PSBT
// decoded by bitcoinjs-lib; and, last (they stop the pipeline for good), a spend of custody the pipeline did not
// make, and a coordinator lying to the signers. Each case sets up what it needs (a running sweep-coordinator without a
// crash point, no mining floor, the halt), so any one of them can run alone (-t).
import { buildSweep, bytesToHex, depositAddress, hexToBytes, NUMS_INTERNAL_KEY, taprootOutput, type SweepBuild, type SweepParams } from '@tapbridge/bitcoin';
import { request, withdrawalPaid } from '@tapbridge/messaging';
import { assembleSignedSweep, sighashRequest } from '@tapbridge/sweeps';
import { waitFor } from '@tapbridge/testing';
import { Psbt, Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it, onTestFailed, onTestFinished } from 'vitest';
import { z } from 'zod';
import type { CrashPoint } from '../src/config.js';
import { buildStack, deposit, l2Sats, mine, mineUntil, newUser, opReturnDeposit, startStack, withdraw, type Stack, type SweepBody, type User, type WithdrawalBody } from './support/stack.js';

let stack: Stack;
let user: User;

beforeAll(async () => {
  buildStack();
  stack = await startStack();
  // One user with enough on the L2 for every case below.
  user = newUser(stack);
  await deposit(stack, user, 3_000_000n, 50_000n);
  await mineUntil(stack, 'the deposit minted', async () => (await l2Sats(stack, user.wallet.address)) >= 3_000_000n);
  // ... and swept into custody, so the cases start from a custody UTXO and nothing in flight.
  await mineUntil(stack, 'the first sweep confirmed', async () => {
    const s = (await stack.sweeper.get<{ status: string; inFlight: unknown[] }>('/status')).body;
    const r = (await stack.sweeper.get<{ custody: { utxos: Array<{ kind: string }> } }>('/reserves')).body;
    return s.inFlight.length === 0 && r.custody.utxos.some((u) => u.kind === 'custody');
  });
}, 1_800_000);
afterAll(async () => {
  if (stack) {
    if (process.env.SWEEP_E2E_LOGS) console.log(stack.sweeper.logs());
    await stack.close();
  }
}, 120_000);

const status = async (id: string) => (await stack.sweeper.get<WithdrawalBody>(`/withdrawals/${id}`)).body;
const sweep = async (txid: string) => (await stack.sweeper.get<SweepBody>(`/sweeps/${txid}`)).body;

/** Confirmed outputs of the devnet wallet paying this user's address (each withdrawal pays a distinct one). */
const coinsAt = (address: string) => stack.chain.node.listUnspent(1).filter((c) => c.key.address === address);

async function paidOnce(id: string, u: User, amountSats: bigint): Promise<WithdrawalBody> {
  const body = await mineUntil(stack, `withdrawal ${id} paid`, async () => {
    const b = await status(id);
    return b.status === 'paid' ? b : undefined;
  });
  const coins = coinsAt(u.btcAddress);
  expect(coins).toHaveLength(1);
  expect(coins[0]).toMatchObject({ txid: body.txid, vout: body.vout, value: amountSats - BigInt(body.feeSats!) });
  return body;
}

/** withdrawal.paid events on the stream for this id. */
async function paidEvents(id: string): Promise<Array<{ txid: string; blockHash: string; withdrawalId: string }>> {
  const stream = stack.messaging.naming.stream('WITHDRAWAL');
  const subject = stack.messaging.naming.subject(withdrawalPaid.subject);
  const info = await stack.messaging.jsm.streams.info(stream);
  const out: Array<{ txid: string; blockHash: string; withdrawalId: string }> = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await stack.messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m && m.subject === subject) out.push(m.json());
  }
  return out.filter((e) => e.withdrawalId === id);
}

/** The withdrawal.paid events once the outbox relay has published at least one (it runs after the commit). */
const publishedPaidEvents = (id: string) => waitFor(`withdrawal.paid for ${id} on the stream`, async () => {
  const events = await paidEvents(id);
  return events.length > 0 ? events : undefined;
}, 30_000, 200);

/** A fresh destination for each case, funded from the one L2 user. */
function payee(): User {
  return { ...newUser(stack), wallet: user.wallet };
}

/**
 * The sweep-coordinator running without a crash point, whatever the case before left (a crash case that failed
 * half-way leaves it stopped or armed).
 */
async function healthySweeper(): Promise<void> {
  if (stack.sweeper.running) return;
  await stack.sweeper.start({ SWEEP_CRASH_AT: undefined });
}

/** After a failed crash case: the next case starts from a sweep-coordinator that is running and not armed. */
function restartCleanIfFailed(): void {
  onTestFailed(async () => {
    await stack.sweeper.stop();
    await stack.sweeper.start({ SWEEP_CRASH_AT: undefined });
  });
}

/** Raises the devnet's mining floor for this case only. */
function miningFloor(satPerVb: number): void {
  stack.chain.node.setMiningFloor(satPerVb);
  onTestFinished(() => stack.chain.node.setMiningFloor(0));
}

interface Halt {
  /** The custody UTXO the consolidation spent, and the consolidation. */
  idle: { txid: string; vout: number; amountSats: string };
  consolidation: SweepBuild;
}
let halt: Promise<Halt> | undefined;

/**
 * Halts the pipeline for good, once per file: someone with access to the signing-coordinator gets the group to sign
 * a consolidation of custody into custody (no deposit, no withdrawal: every honest signer's sweep policy allows it),
 * which the pipeline never built. Both halt cases start from here, in either order.
 */
function haltPipeline(): Promise<Halt> {
  halt ??= (async () => {
    await healthySweeper();
    const idle = await waitFor('the pipeline idle with a confirmed custody UTXO', async () => {
      const st = (await stack.sweeper.get<{ inFlight: unknown[] }>('/status')).body;
      const r = (await stack.sweeper.get<{ custody: { utxos: Array<{ kind: string; txid: string; vout: number; amountSats: string }> } }>('/reserves')).body;
      const c = r.custody.utxos.find((u) => u.kind === 'custody');
      return st.inFlight.length === 0 && c ? c : undefined;
    }, 240_000, 1_000);
    const fullCustody = z.object({ groupKey: z.string(), outputKey: z.string(), scriptPubKey: z.string(), tweak: z.unknown() }).parse(stack.custody);
    const build = buildSweep({
      custodyScriptPubKey: hexToBytes(fullCustody.scriptPubKey),
      custodyInput: { txid: idle.txid, vout: idle.vout, value: BigInt(idle.amountSats) },
      deposits: [],
      withdrawals: [],
      fee: 2_000n,
    });
    const version = { txid: build.txid, unsignedHex: build.hex, inputs: [{ txid: idle.txid, vout: idle.vout, value: BigInt(idle.amountSats), scriptPubKey: fullCustody.scriptPubKey, kind: 'custody-key-path' as const }] };
    const { id: requestId } = await request(stack.messaging, 'signing.signatures.create', {
      sighash: sighashRequest(version, 0), purpose: 'sweep', tweak: fullCustody.tweak, context: { sweep: { withdrawalIds: [], deposits: [] } },
    }, { response: z.object({ id: z.string() }), timeoutMs: 10_000 });
    const signature = await waitFor('the group signature', async () => {
      const r = await request(stack.messaging, 'signing.signatures.get', { id: requestId }, { response: z.object({ status: z.string(), signature: z.string().nullable(), error: z.string().nullable() }).passthrough(), timeoutMs: 10_000 });
      if (r.status === 'failed') throw new Error(`signing failed: ${r.error}`);
      return r.status === 'signed' ? r.signature! : undefined;
    }, 180_000, 500);
    const raw = assembleSignedSweep({ ...version, inputs: [{ ...version.inputs[0]!, signature }] }, { custodyOutputKey: fullCustody.outputKey, groupKey: fullCustody.groupKey });
    expect(stack.chain.node.sendRawTransaction(raw)).toBe(build.txid);
    await mineUntil(stack, 'the pipeline halted', async () => {
      const st = (await stack.sweeper.get<{ status: string }>('/status')).body;
      return st.status === 'halted' || undefined;
    });
    return { idle, consolidation: build };
  })();
  return halt;
}

describe('sweep pipeline: RBF, reorgs, crashes', () => {
  it('replaces a stuck sweep by RBF (mining floor raised); the replacement confirms, once', async () => {
    await healthySweeper();
    const to = payee();
    const id = await withdraw(to, 120_000n);
    const first = await waitFor('the sweep broadcast', async () => {
      const b = await status(id);
      return b.status === 'broadcast' ? b : undefined;
    }, 120_000, 200);
    const original = await sweep(first.txid!);
    // Blocks now only take transactions paying far more than the original does.
    miningFloor(Math.ceil(Number(original.feeSats) / 100) + 25);
    const paid = await paidOnce(id, to, 120_000n);
    const replacement = await sweep(paid.txid!);
    expect(replacement.version).toBeGreaterThanOrEqual(1);
    expect(replacement.familyId).toBe(original.familyId);
    expect(replacement.custodyInput).toEqual(original.custodyInput);
    expect(BigInt(replacement.feeSats)).toBeGreaterThan(BigInt(original.feeSats));
    expect((await sweep(original.txid)).status).toBe('replaced');
    expect(stack.chain.node.lookupTransaction(original.txid)?.entry).toBeUndefined();
    expect(await publishedPaidEvents(id)).toHaveLength(1);
  }, 600_000);

  it('a payout whose block is reorged out goes back to broadcast and confirms again; nothing is paid twice, withdrawal.paid is published once', async () => {
    await healthySweeper();
    const to = payee();
    const id = await withdraw(to, 110_000n);
    // Paid (2 deep) and announced before the reorg.
    const before = await mineUntil(stack, 'the payout paid', async () => {
      const b = await status(id);
      return b.status === 'paid' ? b : undefined;
    });
    const [announced] = await publishedPaidEvents(id);
    const s = await sweep(before.txid!);
    expect(announced).toMatchObject({ txid: s.txid, blockHash: s.block!.hash });
    const tipBefore = stack.chain.node.chain.tip.height;
    stack.chain.node.invalidateBlock(s.block!.hash);
    // A longer branch without that block: the watcher reorgs to it.
    mine(stack, tipBefore - s.block!.height + 2);
    // The disconnect is seen (the history says so; the status may pass through broadcast faster than a poll, when
    // the devnet put the transaction back in its mempool and the new branch mined it again).
    await waitFor('the payout\'s block to leave the pipeline\'s chain', async () => {
      const h = (await stack.sweeper.get<{ history: Array<{ status: string; detail: string }> }>(`/withdrawals/${id}`)).body.history;
      return h.some((e) => e.status === 'broadcast' && /left the best chain/.test(e.detail));
    }, 120_000, 200);
    const paid = await paidOnce(id, to, 110_000n);
    expect(paid.txid).toBe(s.txid);
    expect((await sweep(s.txid)).block!.hash).not.toBe(s.block!.hash);
    const history = (await stack.sweeper.get<{ history: Array<{ status: string }> }>(`/withdrawals/${id}`)).body.history;
    expect(history.filter((h) => h.status === 'paid')).toHaveLength(2);
    // The second announcement is the same event (id withdrawal.paid:<id>:<txid>): not published again. A later
    // withdrawal's event on the stream proves the relay got past anything queued before it.
    const marker = payee();
    const markerId = await withdraw(marker, 50_000n);
    await paidOnce(markerId, marker, 50_000n);
    await publishedPaidEvents(markerId);
    expect(await paidEvents(id)).toEqual([announced]);
  }, 900_000);

  const points: CrashPoint[] = ['after-plan', 'mid-signing', 'after-sign', 'after-broadcast'];
  it.each(points)('killed at %s: restarted, it pays the withdrawal exactly once', async (point) => {
    restartCleanIfFailed();
    await stack.sweeper.stop();
    await stack.sweeper.start({ SWEEP_CRASH_AT: point });
    const to = payee();
    const id = await withdraw(to, 100_000n);
    await stack.sweeper.exited(180_000);
    expect(stack.sweeper.logs()).toContain(`SWEEP_CRASH_AT=${point} reached`);
    await stack.sweeper.start({ SWEEP_CRASH_AT: undefined });
    await paidOnce(id, to, 100_000n);
    expect(await publishedPaidEvents(id)).toHaveLength(1);
    const reserves = await waitFor('reserves to balance', async () => {
      const r = (await stack.sweeper.get<{ invariantHolds: boolean | null }>('/reserves')).body;
      return r.invariantHolds ? r : undefined;
    }, 60_000, 1_000);
    expect(reserves.invariantHolds).toBe(true);
  }, 600_000);

  it('killed right after planning an RBF replacement: restarted, the persisted replacement is signed and confirms; paid once', async () => {
    restartCleanIfFailed();
    await stack.sweeper.stop();
    await stack.sweeper.start({ SWEEP_CRASH_AT: 'after-rbf-plan' });
    const to = payee();
    const id = await withdraw(to, 130_000n);
    const first = await waitFor('the sweep broadcast', async () => {
      const b = await status(id);
      return b.status === 'broadcast' ? b : undefined;
    }, 180_000, 200);
    const original = await sweep(first.txid!);
    miningFloor(Math.ceil(Number(original.feeSats) / 100) + 25);
    // Blocks without the sweep until K = 2 have passed: the bump job plans the replacement and the process kills
    // itself right after that plan is committed, before asking for any signature.
    await mineUntil(stack, 'the crash after the RBF plan', async () => !stack.sweeper.running, 300_000, 1_500);
    const line = stack.sweeper.logs().split('\n').find((l) => l.includes('SWEEP_CRASH_AT=after-rbf-plan reached'));
    expect(line).toBeDefined();
    const crashedAt = z.object({ crashPoint: z.literal('after-rbf-plan'), txid: z.string().regex(/^[0-9a-f]{64}$/) }).parse(JSON.parse(line!));
    expect(crashedAt.txid).not.toBe(original.txid);
    // (The "planned RBF replacement" info line just before the kill goes through pino's asynchronous stdout and may be
    // lost to the SIGKILL; the synchronous crash line above and the persisted version below are the proof.)

    await stack.sweeper.start({ SWEEP_CRASH_AT: undefined });
    // The replacement planned before the kill survived it, as the family's next version.
    const planned = await sweep(crashedAt.txid);
    expect(planned).toMatchObject({ familyId: original.familyId, version: original.version + 1, custodyInput: original.custodyInput });
    const paid = await paidOnce(id, to, 130_000n);
    const payer = await sweep(paid.txid!);
    expect(payer.familyId).toBe(original.familyId);
    expect(payer.version).toBeGreaterThanOrEqual(planned.version);
    // One version of the family is in the best chain; the others are replaced and gone from the mempool.
    for (const txid of new Set([original.txid, planned.txid, payer.txid])) {
      const inChain = stack.chain.node.lookupTransaction(txid)?.entry !== undefined;
      expect(inChain).toBe(txid === payer.txid);
      if (txid !== payer.txid) expect((await sweep(txid)).status).toBe('replaced');
    }
    expect(await publishedPaidEvents(id)).toHaveLength(1);
  }, 900_000);

  it('a simple-form (OP_RETURN) deposit is minted and swept by the custody key path; GET /sweeps/:txid/psbt decodes as BIP174/371 and matches the sweep', async () => {
    await healthySweeper();
    const depositor = newUser(stack);
    const simple = opReturnDeposit(stack, depositor.wallet.address, 260_000n);
    const taproot = await deposit(stack, depositor, 140_000n);
    // Both minted in full on the L2 (no registration for the simple form: the indexer finds it by the custody script).
    await mineUntil(stack, 'both deposits minted', async () => (await l2Sats(stack, depositor.wallet.address)) >= 400_000n);
    // ... and each swept, by a sweep in the custody chain.
    const sweeps = await mineUntil(stack, 'both deposits swept and confirmed', async () => {
      const found = new Map<string, SweepBody>();
      const r = (await stack.sweeper.get<{ custody: { utxos: Array<{ kind: string; txid: string }> } }>('/reserves')).body;
      let next = r.custody.utxos.find((u) => u.kind === 'custody')?.txid;
      for (let k = 0; next && k < 6; k++) {
        const s = await sweep(next);
        for (const d of s.deposits) if (s.status === 'confirmed' && [simple.txid, taproot.txid].includes(d.txid)) found.set(d.txid, s);
        next = s.custodyInput?.txid;
      }
      return found.size === 2 ? found : undefined;
    });
    const custody = stack.custody as typeof stack.custody & { merkleRoot: string | null };
    for (const [depositTxid, s] of sweeps) {
      const { psbt } = (await stack.sweeper.get<{ psbt: string }>(`/sweeps/${s.txid}/psbt`)).body;
      const decoded = Psbt.fromBase64(psbt);
      const signed = Transaction.fromHex(s.rawTransaction!);
      // The PSBT's unsigned transaction is the sweep: same txid, inputs, outputs, version, locktime, sequences.
      const unsigned = Transaction.fromBuffer(Buffer.from((decoded.data.globalMap.unsignedTx as unknown as { toBuffer(): Uint8Array }).toBuffer()));
      expect(unsigned.getId()).toBe(s.txid);
      expect(signed.getId()).toBe(s.txid);
      expect(decoded.version).toBe(2);
      expect(decoded.txInputs.map((i) => `${bytesToHex(Uint8Array.from(i.hash).reverse())}:${i.index}:${i.sequence}`)).toEqual(
        signed.ins.map((i) => `${bytesToHex(Uint8Array.from(i.hash).reverse())}:${i.index}:${i.sequence}`),
      );
      expect(decoded.txOutputs.map((o) => `${bytesToHex(o.script)}:${o.value}`)).toEqual(signed.outs.map((o) => `${bytesToHex(o.script)}:${o.value}`));
      decoded.data.inputs.forEach((input, i) => {
        const outpoint = `${bytesToHex(Uint8Array.from(decoded.txInputs[i]!.hash).reverse())}:${decoded.txInputs[i]!.index}`;
        // BIP174 witnessUtxo of every input: what the chain says that outpoint holds.
        const [prevTxid, prevVout] = outpoint.split(':');
        const prev = stack.chain.node.lookupTransaction(prevTxid!)!.tx.outs[Number(prevVout)]!;
        expect(bytesToHex(input.witnessUtxo!.script)).toBe(bytesToHex(prev.script));
        expect(input.witnessUtxo!.value).toBe(prev.value);
        if (bytesToHex(prev.script) === stack.custody.scriptPubKey) {
          // Key path of custody (the custody input, or the simple-form deposit): BIP371 internal key = the group key.
          expect(bytesToHex(input.tapInternalKey!)).toBe(stack.custody.groupKey);
          expect(input.tapMerkleRoot ? bytesToHex(input.tapMerkleRoot) : null).toBe(custody.merkleRoot ?? null);
          expect(input.tapLeafScript).toBeUndefined();
        } else {
          // A per-deposit address: its deposit leaf with the control block, under the NUMS internal key.
          expect(bytesToHex(input.tapInternalKey!)).toBe(bytesToHex(NUMS_INTERNAL_KEY));
          expect(input.tapLeafScript).toHaveLength(1);
          expect(input.tapLeafScript![0]!.leafVersion).toBe(0xc0);
          // The signed transaction executed exactly that leaf with that control block.
          expect(signed.ins[i]!.witness.slice(1).map((w) => bytesToHex(w))).toEqual([bytesToHex(input.tapLeafScript![0]!.script), bytesToHex(input.tapLeafScript![0]!.controlBlock)]);
        }
      });
      if (depositTxid === simple.txid) {
        const k = decoded.txInputs.findIndex((i) => bytesToHex(Uint8Array.from(i.hash).reverse()) === simple.txid);
        expect(k).toBeGreaterThan(0);
        expect(decoded.data.inputs[k]!.witnessUtxo!.value).toBe(260_000n);
        // A key-path spend: one 64-byte signature in the witness.
        expect(signed.ins[k]!.witness.map((w) => w.length)).toEqual([64]);
      }
    }
    // An unknown sweep is a 404, a malformed txid a 400.
    expect((await stack.sweeper.get(`/sweeps/${'0'.repeat(64)}/psbt`)).status).toBe(404);
    expect((await stack.sweeper.get('/sweeps/nope/psbt')).status).toBe(400);
  }, 900_000);
});

// Last, in this order of declaration only because they stop the pipeline for good (the cases above need it running);
// neither depends on the other having run: both start from haltPipeline().
describe('sweep pipeline: after a spend of custody it did not make', () => {
  it('a spend of custody the pipeline did not make halts it (status, metric, log) and nothing is planned after', async () => {
    const { idle, consolidation: build } = await haltPipeline();
    const halted = (await stack.sweeper.get<{ status: string; halted: { reason: string } | null }>('/status')).body;
    expect(halted.status).toBe('halted');
    expect(halted.halted!.reason).toBe(`custody UTXO ${idle.txid}:${idle.vout} spent by ${build.txid}, which is not a sweep of ours`);
    expect(stack.sweeper.logs()).toContain(`PIPELINE HALTED: custody UTXO ${idle.txid}:${idle.vout} spent by ${build.txid}`);
    await waitFor('tapbridge_sweep_pipeline_halted 1 on /metrics', async () => {
      const m = await stack.sweeper.get<string>('/metrics');
      return /^tapbridge_sweep_pipeline_halted 1$/m.test(String(m.body)) || undefined;
    }, 60_000, 500);

    // A withdrawal burned now waits, saying why, through several blocks and pipeline passes: nothing is planned.
    const to = payee();
    const id = await withdraw(to, 60_000n);
    const arrived = await waitFor('the withdrawal received', async () => {
      const r = await stack.sweeper.get<WithdrawalBody>(`/withdrawals/${id}`);
      return r.status === 200 ? r.body : undefined;
    }, 60_000, 200);
    const tipAt = async () => (await stack.sweeper.get<{ tip: { height: number } | null }>('/status')).body.tip!.height;
    const from = await tipAt();
    await mineUntil(stack, 'three more blocks through the pipeline', async () => (await tipAt()) >= from + 3);
    const after = await waitFor('the halt reason on the withdrawal', async () => {
      const b = await status(id);
      return b.waitingReason?.startsWith('the pipeline is halted: ') ? b : undefined;
    }, 30_000, 500);
    expect(arrived.status).toBe('final');
    expect(after.status).toBe('final');
    const history = (await stack.sweeper.get<{ history: Array<{ status: string }> }>(`/withdrawals/${id}`)).body.history;
    expect(history.map((h) => h.status)).toEqual(['final']);
    expect((await stack.sweeper.get<{ inFlight: unknown[]; status: string }>('/status')).body).toMatchObject({ status: 'halted', inFlight: [] });
  }, 900_000);

  // After the halt the pipeline plans nothing, so the test process is the (lying) coordinator, asking the real
  // signing-coordinator and its 5 signers (t = 3) directly, spending the consolidation's custody output.
  it('a coordinator lying to the signers is refused by every honest signer, for the reason of each lie', async () => {
    const { consolidation } = await haltPipeline();
    const haltedCustody = { txid: consolidation.txid, vout: 0, value: consolidation.custodyValue };
    const custody = z.object({ groupKey: z.string(), outputKey: z.string(), scriptPubKey: z.string(), tweak: z.unknown() }).parse(stack.custody);
    const to = payee();
    const burned = 100_000n;
    const wid = BigInt(await withdraw(to, burned));
    // Final on the L2 for the signers (depth 1) once another L2 block is mined on top of the burn.
    const burnBlock = await stack.provider.getBlockNumber();
    await waitFor('the burn buried one L2 block deep', async () => (await stack.provider.getBlockNumber()) > burnBlock + 1 || undefined, 60_000, 200);
    // The signers judge custody on their own light clients: they must have seen the consolidation's block.
    await waitFor('the consolidation confirmed for the signers', async () => {
      const st = await Promise.all(stack.cluster.signers.map((x) => x.get<{ sweep?: { headerTip: { height: number } | null } }>('/status')));
      return st.every((r) => (r.body.sweep?.headerTip?.height ?? 0) >= stack.chain.node.chain.tip.height) || undefined;
    }, 60_000, 300);
    const custodyInput = { ...haltedCustody, scriptPubKey: hexToBytes(custody.scriptPubKey) };
    const honestPayout = { id: wid, scriptPubKey: hexToBytes(to.btcScript), amountSats: burned, maxFeeSats: 20_000n };
    const base: SweepParams = { custodyScriptPubKey: hexToBytes(custody.scriptPubKey), custodyInput, deposits: [], withdrawals: [honestPayout], fee: 1_500n };

    type Context = { withdrawalIds: string[]; deposits: Array<{ txid: string; vout: number; kind: 'deposit-leaf'; depositScript: string; reclaimScript: string }> };
    const contextOf = (b: SweepBuild, deposits: Context['deposits'] = []): Context => ({ withdrawalIds: b.withdrawalIds.map(String), deposits });
    const versionOf = (b: SweepBuild) => ({
      unsignedHex: b.hex,
      inputs: b.tx.inputs.map((input, i) => ({
        txid: bytesToHex(Uint8Array.from(input.prevout.txid).reverse()), vout: input.prevout.vout, value: b.prevouts[i]!.value, scriptPubKey: bytesToHex(b.prevouts[i]!.scriptPubKey),
        kind: b.inputSpends[i]!.kind, ...(b.inputSpends[i]!.leafHash ? { leafHash: bytesToHex(b.inputSpends[i]!.leafHash!) } : {}),
      })),
    });
    const statusSchema = z.object({ status: z.string(), signature: z.string().nullable(), error: z.string().nullable(), refusals: z.array(z.object({ signer: z.number(), reason: z.string() }).passthrough()).default([]) }).passthrough();
    /** Asks for input 0 (custody, key path) of `b` and waits for the outcome. */
    async function ask(b: SweepBuild, context: Context, hashType?: number) {
      const sighash = { ...sighashRequest(versionOf(b), 0), ...(hashType !== undefined ? { hashType } : {}) };
      const { id } = await request(stack.messaging, 'signing.signatures.create', { sighash, purpose: 'sweep', tweak: custody.tweak, context: { sweep: context } }, { response: z.object({ id: z.string() }), timeoutMs: 10_000 });
      const outcome = await waitFor(`the outcome of ${id}`, async () => {
        const r = await request(stack.messaging, 'signing.signatures.get', { id }, { response: statusSchema, timeoutMs: 10_000 });
        return r.status === 'signed' || r.status === 'failed' ? r : undefined;
      }, 180_000, 300);
      return { id, ...outcome };
    }
    const refusedBy = new Map<string, RegExp>();
    async function refused(what: string, b: SweepBuild, reason: RegExp, context = contextOf(b), hashType?: number) {
      const r = await ask(b, context, hashType);
      expect(r.status, what).toBe('failed');
      expect(r.signature, what).toBeNull();
      expect(r.error, what).toMatch(/fewer than 3 signers will sign/);
      // At least n − t + 1 = 3 refusals make a signature impossible; each names this lie.
      expect(r.refusals.length, what).toBeGreaterThanOrEqual(3);
      for (const x of r.refusals) expect(x.reason, `${what}: signer ${x.signer}`).toMatch(reason);
      refusedBy.set(r.id, reason);
    }

    const someoneElse = newUser(stack);
    await refused('a payout to an address nobody burned for', buildSweep({ ...base, withdrawals: [{ ...honestPayout, scriptPubKey: hexToBytes(someoneElse.btcScript) }] }),
      new RegExp(`output 2 pays ${someoneElse.btcScript}, but withdrawal ${wid} was burned for ${to.btcScript}`));
    await refused('a payout for an id nobody burned', buildSweep({ ...base, withdrawals: [{ ...honestPayout, id: 10n ** 12n }] }),
      /no final WithdrawalRequested log for withdrawal id 1000000000000/);
    await refused('an amount above the burn', buildSweep({ ...base, withdrawals: [{ ...honestPayout, amountSats: burned + 10_000n }] }),
      new RegExp(`output 2 pays \\d+ sat, but withdrawal ${wid} is due its burn of ${burned} sat minus its fee share`));
    const elsewhere = bytesToHex(taprootOutput(NUMS_INTERNAL_KEY).scriptPubKey);
    await refused('change to another script', buildSweep({ ...base, custodyScriptPubKey: hexToBytes(elsewhere) }), /custody/i);
    await refused('a fee above the max fee', buildSweep({ ...base, withdrawals: [{ ...honestPayout, maxFeeSats: 100_000n }], fee: 60_000n }),
      new RegExp(`withdrawal ${wid}: fee share 60000 sat exceeds its max fee 20000 sat`));
    const ghost = depositAddress({ network: 'regtest', groupKey: hexToBytes(custody.groupKey), recipient: someoneElse.wallet.address, maxFee: 10_000n, reclaimKey: NUMS_INTERNAL_KEY, lockBlocks: 500 });
    const ghostTxid = 'ab'.repeat(32);
    const withGhost = buildSweep({
      ...base, withdrawals: [],
      deposits: [{ txid: ghostTxid, vout: 0, value: 300_000n, kind: 'deposit-leaf', scriptPubKey: ghost.scriptPubKey, leafScript: ghost.depositLeaf.script, controlBlock: ghost.depositLeaf.controlBlock, maxFeeSats: 10_000n }],
    });
    await refused('a deposit that is not confirmed on the signer\u2019s own chain', withGhost, new RegExp(`deposit 0 \\(input 1\\) ${ghostTxid}:0`),
      contextOf(withGhost, [{ txid: ghostTxid, vout: 0, kind: 'deposit-leaf', depositScript: bytesToHex(ghost.depositLeaf.script), reclaimScript: bytesToHex(ghost.reclaimLeaf.script) }]));
    await refused('a non-default sighash type', buildSweep(base), /sighash type 0x83 is not DEFAULT \(0x00\) or ALL \(0x01\)/, undefined, 0x83);

    // Paid twice across two transactions: an honest sweep paying the withdrawal is signed, broadcast and confirmed;
    // a second one paying it again from the new custody output is refused.
    const honest = buildSweep(base);
    const signedOnce = await ask(honest, contextOf(honest));
    expect(signedOnce.status).toBe('signed');
    const rawOnce = assembleSignedSweep({ txid: honest.txid, ...versionOf(honest), inputs: versionOf(honest).inputs.map((i) => ({ ...i, signature: signedOnce.signature! })) }, { custodyOutputKey: custody.outputKey, groupKey: custody.groupKey });
    stack.chain.node.sendRawTransaction(rawOnce);
    mine(stack);
    const twice = buildSweep({ ...base, custodyInput: { txid: honest.txid, vout: 0, value: honest.custodyValue, scriptPubKey: hexToBytes(custody.scriptPubKey) } });
    // The signers' own light clients must have seen the block before they judge the second one (else: "not confirmed").
    await waitFor('the honest payout confirmed for the signers', async () => {
      const st = await Promise.all(stack.cluster.signers.map((x) => x.get<{ sweep?: { headerTip: { height: number } | null } }>('/status')));
      return st.every((r) => (r.body.sweep?.headerTip?.height ?? 0) >= stack.chain.node.chain.tip.height) || undefined;
    }, 60_000, 300);
    await refused('a withdrawal paid twice across two transactions', twice, new RegExp(`withdrawal ${wid} was already paid by sweep ${honest.txid}, confirmed on the signer's chain`));

    // Every one of the 5 signers refused every lie, for its reason (each signer logs its own decisions).
    await waitFor('every signer\u2019s own refusal of every lie', async () => {
      for (const signer of stack.cluster.signers) {
        const decisions = signer.logs().split('\n').filter((l) => l.includes('signing decision: refused')).map((l) => JSON.parse(l) as { requestId?: string; reason?: string });
        for (const [id, reason] of refusedBy) if (!decisions.some((d) => d.requestId === id && reason.test(d.reason ?? ''))) return undefined;
      }
      return true;
    }, 60_000, 500);
  }, 900_000);
});
