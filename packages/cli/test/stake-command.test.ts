// `tapbridge stake …` as a user runs it (a child process) against a real L2 node (engine + JSON-RPC, blocks on
// demand) with the devnet's dev accounts: bond, delegate, undelegate move tokens into the staking contract; bad
// arguments never reach the chain; verify-evidence checks evidence with no server and exits 1 when it proves nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Interface, SigningKey, type InterfaceAbi } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveDevAccounts, devChainConfig, EvmEngine, fromHex, MemoryChainStore, startJsonRpcServer, STAKE_TOKEN_ABI, STAKE_TOKEN_ADDRESS, STAKING_ABI, STAKING_ADDRESS, type JsonRpcServer } from '@tapbridge/evm';
import { signLivenessRecord, type LivenessRecord } from '@tapbridge/stake';
import { repoRoot } from '@tapbridge/testing';

const TOKEN = 10n ** 18n;
const dev = deriveDevAccounts(3);
const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);
const token = new Interface(STAKE_TOKEN_ABI as unknown as InterfaceAbi);
const HOST_KEY = `02${'ab'.repeat(32)}`;
let engine: EvmEngine;
let server: JsonRpcServer;
let dir: string;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], { cwd: repoRoot, env: { ...process.env, EVM_RPC_URL: server.url } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function tokenBalance(address: string): Promise<bigint> {
  const r = await engine.call({ to: STAKE_TOKEN_ADDRESS, data: fromHex(token.encodeFunctionData('balanceOf', [address])) });
  return token.decodeFunctionResult('balanceOf', `0x${Buffer.from(r.returnValue).toString('hex')}`)[0] as bigint;
}

async function signerInfo(address: string): Promise<{ hostKey: string; selfBond: bigint; delegated: bigint }> {
  const r = await engine.call({ to: STAKING_ADDRESS, data: fromHex(staking.encodeFunctionData('signerInfo', [address])) });
  const [hostKey, selfBond, delegated] = staking.decodeFunctionResult('signerInfo', `0x${Buffer.from(r.returnValue).toString('hex')}`);
  return { hostKey, selfBond, delegated };
}

beforeAll(async () => {
  const config = devChainConfig({
    blockTimeMs: 100,
    alloc: new Map(dev.map((a) => [a.address.toLowerCase(), { balance: 10n * TOKEN, nonce: 0n }])),
    stake: { holders: new Map(dev.map((a) => [a.address.toLowerCase(), 1_000_000n * TOKEN])), unbondingDelaySeconds: 60n },
  });
  engine = await EvmEngine.open({ store: new MemoryChainStore(), config, autoMine: true });
  server = await startJsonRpcServer({ engine, port: 0 });
  dir = mkdtempSync(path.join(tmpdir(), 'stake-cli-'));
}, 60_000);
afterAll(async () => {
  await server?.close();
  await engine?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tapbridge stake', () => {
  it('bonds, delegates and undelegates from dev accounts', async () => {
    const bond = await cli('stake', 'bond', '--account', '1', '--amount', '100000', '--host-key', HOST_KEY);
    expect(bond.stderr).toBe('');
    expect(JSON.parse(bond.stdout)).toMatchObject({ signer: dev[1]!.address, amount: '100000' });
    const again = await cli('stake', 'bond', '--account', '1', '--amount', '100000', '--host-key', HOST_KEY, '--once');
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: expect.stringContaining('already bonded') });
    const del = await cli('stake', 'delegate', '--account', '2', '--signer', dev[1]!.address, '--amount', '250.5');
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
    expect(await signerInfo(dev[1]!.address)).toEqual({ hostKey: `0x${HOST_KEY}`, selfBond: 100_000n * TOKEN, delegated: 2505n * TOKEN / 10n });
    const undel = await cli('stake', 'unbond', '--account', '2', '--signer', dev[1]!.address, '--amount', '0.5');
    expect(undel.code).toBe(0);
    expect((await signerInfo(dev[1]!.address)).delegated).toBe(250n * TOKEN);
    // Nothing matured or released yet: withdrawing moves nothing.
    const before = await tokenBalance(dev[2]!.address);
    const early = await cli('stake', 'withdraw', '--account', '2');
    expect(early.code).toBe(0);
    expect(await tokenBalance(dev[2]!.address)).toBe(before);
  }, 120_000);

  it('refuses bad arguments before touching the chain', async () => {
    expect((await cli('stake', 'bond', '--account', '1', '--amount', '-1', '--host-key', HOST_KEY)).stderr).toContain('--amount must be a number of tokens');
    expect((await cli('stake', 'bond', '--account', '1', '--amount', '1', '--host-key', '04' + 'ab'.repeat(32))).stderr).toContain('--host-key must be a 33-byte compressed public key');
    expect((await cli('stake', 'delegate', '--account', '1', '--signer', 'nobody', '--amount', '1')).stderr).toContain('--signer must be a 0x address');
    expect((await cli('stake', 'price', 'set', '0')).stderr).toContain('<sats> must be a positive whole number');
    expect((await cli('stake', 'price', 'set', '5', '--api', 'http://127.0.0.1:9')).stderr).toContain('cannot reach stake-accounting');
  }, 120_000);

  it('verify-evidence checks evidence offline: a valid record passes, a tampered one exits 1 with the reason', async () => {
    const coordinatorSeckey = new Uint8Array(32).fill(9);
    const coordinator = SigningKey.computePublicKey(coordinatorSeckey, true).slice(2);
    const record: LivenessRecord = { signerHostPubkey: HOST_KEY, signerIndex: 2, epoch: 4, windowSize: 3, maxMisses: 1, probes: [0, 1, 2].map((i) => ({ id: `hb-${i}`, at: i, answered: i === 0 })) };
    const evidence = { kind: 'liveness', version: 1, coordinatorHostPubkey: coordinator, record, sig: signLivenessRecord(record, coordinatorSeckey) };
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ evidenceId: 'x', evidence })); // a whole GET /slashes/:id answer
    const ok = await cli('stake', 'verify-evidence', good, '--coordinator', coordinator, '--liveness', '3:1');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, offence: 'liveness', evidenceId: `liveness:${HOST_KEY}:4`, signerHostPubkey: HOST_KEY });

    const tampered = path.join(dir, 'tampered.json');
    writeFileSync(tampered, JSON.stringify({ ...evidence, record: { ...record, probes: record.probes.map((p) => ({ ...p, answered: false })) } }));
    const bad = await cli('stake', 'verify-evidence', tampered);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ valid: false, reason: expect.stringContaining('not signed') });
    const otherRule = await cli('stake', 'verify-evidence', good, '--liveness', '100:50');
    expect(otherRule.code).toBe(1);
    const missing = await cli('stake', 'verify-evidence', path.join(dir, 'none.json'));
    expect(missing.stderr).toContain('cannot read');
  }, 120_000);
});
