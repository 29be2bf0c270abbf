// The escape hatch after the sweep, from the user's side (issue 11): a saved, pre-signed disbursal of a custody output
// is sent by `tapbridge escape broadcast` to the devnet chain's Bitcoin Core RPC. The chain refuses it before its lock
// height and accepts it after; every registered account is then paid its share on chain. A stand-in key plays the
// FROST group (the signers' part is tested in packages/signing and the sweep-coordinator); nothing here needs them.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { schnorr } from '@noble/curves/secp256k1.js';
import {
  addressToOutputScript,
  buildDisbursal,
  bytesToHex,
  custodyAddress,
  disbursalExcessScript,
  disbursalSighashes,
  finalizeDisbursal,
  hexToBytes,
  taprootTweakSecretKey,
} from '@tapbridge/bitcoin';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disbursalTable, parseDisbursalFile, parseRpcOption } from '../src/commands/escape.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapbridge-escape-devnet-'));
const GROUP_SECRET = hexToBytes('11'.repeat(32));
const BACKUP_SECRET = hexToBytes('12'.repeat(32));
const LOCK_BLOCKS = 4;

/** The CLI as a child process; asynchronous, since the devnet chain it talks to serves from this process. */
function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

describe('tapbridge escape broadcast on the devnet chain', () => {
  let chain: TestDevnetChain;
  beforeAll(async () => {
    chain = await startTestDevnetChain(101);
  });
  afterAll(async () => {
    await chain?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is refused before the lock, then pays each of 10 registered accounts its share', async () => {
    const node = chain.node;
    const recovery = { recoveryLock: 144, keys: [schnorr.getPublicKey(BACKUP_SECRET)], threshold: 1 };
    const custody = custodyAddress({ network: 'regtest', groupKey: schnorr.getPublicKey(GROUP_SECRET), recovery });
    const fundingTxid = node.sendToAddress(custody.address, 2_000_000n);
    node.generateToAddress(1, chain.address);
    const funding = node.lookupTransaction(fundingTxid)!;
    const vout = funding.tx.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(custody.scriptPubKey));
    const value = funding.tx.outs[vout]!.value;

    // Ten L2 accounts with recovery addresses of the chain's wallet (so their payments are visible), various kinds.
    const kinds = ['bech32', 'bech32m', 'bech32', 'bech32m', 'bech32'] as const;
    const accounts = Array.from({ length: 10 }, (_, i) => ({
      account: `0x${(i + 1).toString(16).padStart(40, '0')}`,
      balanceSats: 30_000n * BigInt(i + 1),
      scriptPubKey: addressToOutputScript(node.getNewAddress(kinds[i % kinds.length]), 'regtest'),
    }));
    const lockHeight = node.tip.height + LOCK_BLOCKS;
    // Custody holds less than the bridge owes (3,000,000 sat): every share shrinks by 2/3, minus its fee share.
    const build = buildDisbursal({
      custody: { txid: fundingTxid, vout, value, scriptPubKey: custody.scriptPubKey },
      liabilitySats: 3_000_000n,
      accounts,
      excessScriptPubKey: disbursalExcessScript(recovery),
      lockHeight,
      feeRate: 3,
      maxTxWeight: 1_600,
    });
    expect(build.finals.length).toBeGreaterThan(1);
    const signatures = disbursalSighashes(build).map((h) => schnorr.sign(h, taprootTweakSecretKey(GROUP_SECRET, custody.merkleRoot)));
    const signed = finalizeDisbursal(build, signatures);
    const file = path.join(dir, 'disbursal.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        sweepTxid: fundingTxid,
        custody: { txid: fundingTxid, vout, value: value.toString() },
        terms: { l2Block: '42', lockHeight, feeRate: 3 },
        payouts: build.payouts.map((p) => ({ ...p, scriptPubKey: bytesToHex(p.scriptPubKey), balanceSats: `${p.balanceSats}`, shareSats: `${p.shareSats}`, feeShareSats: `${p.feeShareSats}`, amountSats: `${p.amountSats}` })),
        skipped: [],
        excessSats: build.excessSats.toString(),
        totalFeeSats: build.totalFee.toString(),
        rawTransactions: signed.map((s) => s.hex),
      }),
    );
    const rpc = `core+${chain.rpcUrl}#cookie=${chain.cookieFile}`;
    expect(parseRpcOption(rpc).kind).toBe('core');

    const early = await cli(['escape', 'broadcast', '--file', file, '--rpc', rpc]);
    expect(early.status).toBe(1);
    expect(early.stdout).toMatch(/non-final/);
    node.generateToAddress(lockHeight - node.tip.height, chain.address);
    const sent = await cli(['escape', 'broadcast', '--file', file, '--rpc', rpc]);
    expect(sent.stderr).toBe('');
    expect(sent.status).toBe(0);
    const report = JSON.parse(sent.stdout) as { transactions: { txid: string; outcome: string }[] };
    expect(report.transactions.map((t) => t.txid)).toEqual(signed.map((s) => s.txid));
    expect(report.transactions.every((t) => t.outcome === 'accepted')).toBe(true);
    const [block] = node.generateToAddress(1, chain.address);

    // Every account is paid its share minus its fee share, in a mined transaction; the totals add up to custody.
    let paid = 0n;
    for (const p of build.payouts) {
      const mined = node.lookupTransaction(signed[1 + p.batch]!.txid)!;
      expect(mined.entry?.hash).toBe(block);
      const out = mined.tx.outs[p.vout]!;
      expect(bytesToHex(out.script)).toBe(bytesToHex(accounts.find((a) => a.account === p.account)!.scriptPubKey));
      expect(out.value).toBe(p.amountSats);
      expect(p.shareSats).toBe((p.balanceSats * value) / 3_000_000n);
      expect(p.amountSats).toBeLessThanOrEqual(p.shareSats);
      paid += out.value;
    }
    expect(build.payouts).toHaveLength(10);
    expect(paid + build.excessSats + build.totalFee).toBe(value);
    const table = disbursalTable(parseDisbursalFile(fs.readFileSync(file, 'utf8')));
    console.log(table);
    expect(table).toMatch(/= 2000000 sat \(custody 2000000\)$/);
  }, 180_000);
});
