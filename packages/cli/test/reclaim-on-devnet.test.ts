// The escape hatch end to end: a reclaim transaction built and signed by the CLI is refused by the devnet chain
// while the deposit is younger than its CSV lock, and accepted (then mined) once the lock has passed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { schnorr } from '@noble/curves/secp256k1.js';
import { Psbt } from 'bitcoinjs-lib';
import { bytesToHex, decodeTransaction, hexToBytes, tapLeafHash } from '@tapbridge/bitcoin';
import { DevnetChain } from '@tapbridge/devnet-chain';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapbridge-reclaim-devnet-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`tapbridge ${args.slice(0, 2).join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

// x-only keys of the secrets 0x01…01 (custody group, a stand-in) and 0x02…02 (the depositor).
const GROUP_KEY = '1b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f';
const DEPOSITOR_KEY = '4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766';
const DEPOSITOR_SECRET = '02'.repeat(32);
const LOCK_BLOCKS = 5;

describe('tapbridge deposit reclaim-tx on the devnet chain', () => {
  it('is refused before the lock and accepted after it', () => {
    const chain = DevnetChain.open({ dataDir: path.join(dir, 'chain') });
    try {
      const miner = chain.getNewAddress();
      chain.generateToAddress(101, miner); // one mature coinbase
      const deposit = cli([
        'deposit', 'address', '--network', 'regtest', '--group-key', GROUP_KEY, '--recipient', '0x52908400098527886e0f7030069857d2e4169ee7',
        '--max-fee', '5000', '--reclaim-key', DEPOSITOR_KEY, '--lock-blocks', String(LOCK_BLOCKS),
      ]) as { address: string; scriptPubKey: string; leaves: { deposit: { script: string }; reclaim: { script: string } } };
      const txid = chain.sendToAddress(deposit.address, 250_000n);
      chain.generateToAddress(1, miner);
      const funding = chain.lookupTransaction(txid)!;
      const vout = funding.tx.outs.findIndex((o) => bytesToHex(o.script) === deposit.scriptPubKey);
      expect(vout).toBeGreaterThanOrEqual(0);

      const back = chain.getNewAddress('bech32m');
      const reclaim = cli(
        [
          'deposit', 'reclaim-tx', '--network', 'regtest', '--txid', txid, '--vout', String(vout), '--amount', '250000',
          '--deposit-script', deposit.leaves.deposit.script, '--reclaim-script', deposit.leaves.reclaim.script,
          '--to', back, '--fee-rate', '2',
        ],
        { TAPBRIDGE_RECLAIM_KEY: DEPOSITOR_SECRET },
      ) as { txid: string; hex: string };

      // One confirmation so far; BIP68 wants LOCK_BLOCKS.
      expect(() => chain.sendRawTransaction(reclaim.hex)).toThrow(/non-BIP68-final/);
      chain.generateToAddress(LOCK_BLOCKS - 2, miner);
      expect(() => chain.sendRawTransaction(reclaim.hex)).toThrow(/non-BIP68-final/); // one block short
      chain.generateToAddress(1, miner);
      expect(chain.sendRawTransaction(reclaim.hex)).toBe(reclaim.txid);
      const [block] = chain.generateToAddress(1, miner);
      const mined = chain.lookupTransaction(reclaim.txid);
      expect(mined?.entry?.hash).toBe(block);
      expect(decodeTransaction(reclaim.hex).outputs[0]!.value).toBeLessThan(250_000n);
    } finally {
      chain.close();
    }
  });

  it("--psbt: signed in the depositor's own wallet, finalized by reclaim-finalize, accepted after the lock", () => {
    const chain = DevnetChain.open({ dataDir: path.join(dir, 'chain-psbt') });
    try {
      const miner = chain.getNewAddress();
      chain.generateToAddress(101, miner);
      const deposit = cli([
        'deposit', 'address', '--network', 'regtest', '--group-key', GROUP_KEY, '--recipient', '0x52908400098527886e0f7030069857d2e4169ee7',
        '--max-fee', '5000', '--reclaim-key', DEPOSITOR_KEY, '--lock-blocks', String(LOCK_BLOCKS),
      ]) as { address: string; scriptPubKey: string; leaves: { deposit: { script: string }; reclaim: { script: string } } };
      const txid = chain.sendToAddress(deposit.address, 250_000n);
      chain.generateToAddress(1, miner);
      const vout = chain.lookupTransaction(txid)!.tx.outs.findIndex((o) => bytesToHex(o.script) === deposit.scriptPubKey);
      const spend = [
        '--network', 'regtest', '--txid', txid, '--vout', String(vout), '--amount', '250000',
        '--deposit-script', deposit.leaves.deposit.script, '--reclaim-script', deposit.leaves.reclaim.script,
        '--to', chain.getNewAddress('bech32m'), '--fee-rate', '2',
      ];
      // No key is given to the CLI: it only builds the PSBT.
      const unsigned = cli(['deposit', 'reclaim-tx', ...spend, '--psbt', '--key-origin', "d34db33f/m/86'/1'/0'/0/0"], { TAPBRIDGE_RECLAIM_KEY: '' }) as { psbt: string; signWith: string };
      expect(unsigned.signWith).toBe(DEPOSITOR_KEY);
      // The wallet's side, with bitcoinjs-lib: sign the reclaim leaf with the depositor key.
      const secret = hexToBytes(DEPOSITOR_SECRET);
      const psbt = Psbt.fromBase64(unsigned.psbt);
      psbt.signTaprootInput(0, { publicKey: Uint8Array.of(2, ...schnorr.getPublicKey(secret)), sign: () => new Uint8Array(64), signSchnorr: (h: Uint8Array) => schnorr.sign(h, secret) }, tapLeafHash(hexToBytes(deposit.leaves.reclaim.script)));
      const signedFile = path.join(dir, 'signed.psbt');
      fs.writeFileSync(signedFile, psbt.toBase64());
      const reclaim = cli(['deposit', 'reclaim-finalize', ...spend, '--psbt', `@${signedFile}`]) as { txid: string; hex: string };

      expect(() => chain.sendRawTransaction(reclaim.hex)).toThrow(/non-BIP68-final/);
      chain.generateToAddress(LOCK_BLOCKS - 1, miner);
      expect(chain.sendRawTransaction(reclaim.hex)).toBe(reclaim.txid);
      const [block] = chain.generateToAddress(1, miner);
      expect(chain.lookupTransaction(reclaim.txid)?.entry?.hash).toBe(block);
    } finally {
      chain.close();
    }
  });
});
