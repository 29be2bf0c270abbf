import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressToOutputScript, bytesToHex, encodeSegwitAddress } from '@tapbridge/bitcoin';
import { BRIDGE_ABI, devChainConfig, EvmEngine, MemoryChainStore, startJsonRpcServer, type JsonRpcServer } from '@tapbridge/evm';
import { parseWithdrawRequest, readEvmKey, WithdrawCommandError } from '../src/commands/withdraw.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const P2WPKH_ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const P2TR_ADDRESS = encodeSegwitAddress('bcrt', 1, new Uint8Array(32).fill(0x79));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--no-warnings', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TAPBRIDGE_EVM_PRIVATE_KEY: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The L2 node below runs in this process, so the CLI must run without blocking its event loop. */
function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@tapbridge/source', '--no-warnings', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, TAPBRIDGE_EVM_PRIVATE_KEY: '', ...env } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('withdraw: command-line checks before any gas is spent', () => {
  it('turns an address into its output script and keeps the amounts exact', () => {
    const r = parseWithdrawRequest({ to: P2WPKH_ADDRESS, sats: '100000', maxFee: '2000', network: 'regtest' });
    expect(r).toEqual({ scriptPubKey: bytesToHex(addressToOutputScript(P2WPKH_ADDRESS, 'regtest')), amountSats: 100_000n, maxFeeSats: 2_000n });
  });

  it('refuses a foreign-network address, dust, a fee cap at or above the amount, and fractional sats', () => {
    expect(() => parseWithdrawRequest({ to: 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', sats: '100000', maxFee: '1', network: 'regtest' })).toThrow(/not a regtest address/);
    expect(() => parseWithdrawRequest({ to: P2WPKH_ADDRESS, sats: '545', maxFee: '1', network: 'regtest' })).toThrow(/546-sat dust/);
    expect(() => parseWithdrawRequest({ to: P2WPKH_ADDRESS, sats: '1000', maxFee: '1000', network: 'regtest' })).toThrow(/must be below --sats/);
    expect(() => parseWithdrawRequest({ to: P2WPKH_ADDRESS, sats: '1000.5', maxFee: '1', network: 'regtest' })).toThrow(WithdrawCommandError);
  });

  it('reads the key from a file or the environment only, and names both when neither is there', () => {
    expect(() => readEvmKey(undefined, {})).toThrow(/--key-file <path> or set TAPBRIDGE_EVM_PRIVATE_KEY/);
    expect(() => readEvmKey(undefined, { TAPBRIDGE_EVM_PRIVATE_KEY: '' })).toThrow(/no EVM key/);
    expect(() => readEvmKey(undefined, { TAPBRIDGE_EVM_PRIVATE_KEY: 'abc' })).toThrow(/32 bytes of hex/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-withdraw-'));
    try {
      const file = path.join(dir, 'key');
      fs.writeFileSync(file, `0x${'AB'.repeat(32)}\n`);
      expect(readEvmKey(file, {})).toBe(`0x${'ab'.repeat(32)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('withdraw: a real burn through the bridge contract on an L2 node', () => {
  const burner = new Wallet(`0x${'5e'.repeat(32)}`);
  let engine: EvmEngine;
  let server: JsonRpcServer;

  beforeAll(async () => {
    const config = devChainConfig({ alloc: new Map([[burner.address.toLowerCase(), { balance: 10n ** 18n, nonce: 0n }]]), blockTimeMs: 50 });
    engine = await EvmEngine.open({ store: new MemoryChainStore(), config });
    server = await startJsonRpcServer({ engine, port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await engine?.close();
  });

  it('burns, prints the id the bridge assigned, and the log on chain says the same', { timeout: 240_000 }, async () => {
    const env = { TAPBRIDGE_EVM_PRIVATE_KEY: burner.privateKey };
    const first = await cliAsync(['withdraw', '--to', P2TR_ADDRESS, '--sats', '250000', '--max-fee', '3000', '--rpc', server.url], env);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const printed = JSON.parse(first.stdout) as { withdrawalId: string; evmTxHash: string; scriptPubKey: string; amountSats: string; sender: string };
    expect(printed.withdrawalId).toBe('0');
    expect(printed.sender).toBe(burner.address);
    const second = await cliAsync(['withdraw', '--to', P2WPKH_ADDRESS, '--sats', '1000', '--max-fee', '999', '--rpc', server.url], env);
    expect(second.status).toBe(0);
    expect((JSON.parse(second.stdout) as { withdrawalId: string }).withdrawalId).toBe('1');

    // The printed id is the bridge's, not the CLI's guess: read the receipt's log back independently.
    const receipt = (await (await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getTransactionReceipt', params: [printed.evmTxHash] }) })).json()) as {
      result: { logs: Array<{ topics: string[]; data: string }> };
    };
    const log = new Interface(BRIDGE_ABI).parseLog(receipt.result.logs[0]!);
    expect(log?.name).toBe('WithdrawalRequested');
    expect(log?.args.getValue('id')).toBe(0n);
    expect(log?.args.getValue('btcScriptPubKey')).toBe(`0x${bytesToHex(addressToOutputScript(P2TR_ADDRESS, 'regtest'))}`);
    expect(log?.args.getValue('amountSats')).toBe(250_000n);
    expect(log?.args.getValue('maxFeeSats')).toBe(3_000n);
  });

  it('exits 1 naming both key sources when the key is missing', async () => {
    const r = await cliAsync(['withdraw', '--to', P2TR_ADDRESS, '--sats', '250000', '--max-fee', '3000', '--rpc', server.url]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no EVM key/);
  });

  it('withdrawal status refuses a malformed id before any request', () => {
    const r = cli(['withdrawal', 'status', 'abc', '--api', 'http://127.0.0.1:9']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/non-negative integer/);
  });
});
