import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  addressToOutputScript,
  bytesToHex,
  decodeTransaction,
  hashToHex,
  hexToBytes,
  parseDepositScript,
  parseReclaimScript,
  verifyTaprootCommitment,
} from '@tapbridge/bitcoin';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TAPBRIDGE_RECLAIM_KEY: '', ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// x-only keys of the secrets 0x01…01 and 0x02…02 (the latter is the depositor below).
const GROUP_KEY = '1b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f';
const RECLAIM_KEY = '4d4b6cd1361032ca9bd2aeb9d900aa4d45d9ead80ac9423374c451a7254d0766';
const DEPOSITOR_SECRET = '02'.repeat(32);
const RECIPIENT = '0x52908400098527886e0f7030069857d2e4169ee7';

interface LeafJson {
  script: string;
  leafHash: string;
  controlBlock: string;
}
interface AddressJson {
  address: string;
  scriptPubKey: string;
  internalKey: string;
  outputKey: string;
  merkleRoot: string;
  leaves: { deposit: LeafJson; reclaim: LeafJson };
}

const addressArgs = ['deposit', 'address', '--network', 'regtest', '--group-key', GROUP_KEY, '--recipient', RECIPIENT, '--max-fee', '20000', '--reclaim-key', RECLAIM_KEY, '--lock-blocks', '144'];

describe('tapbridge deposit', () => {
  const first = cli(addressArgs);
  const out = JSON.parse(first.stdout) as AddressJson;

  it('address: prints the address, NUMS internal key and both leaves, which spend to it', () => {
    expect(first.status).toBe(0);
    expect(out.address.startsWith('bcrt1p')).toBe(true);
    expect(bytesToHex(addressToOutputScript(out.address, 'regtest'))).toBe(out.scriptPubKey);
    expect(out.scriptPubKey).toBe('5120' + out.outputKey);
    expect(out.internalKey).toBe('50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0');
    const deposit = parseDepositScript(hexToBytes(out.leaves.deposit.script));
    expect(deposit).toEqual({ maxFee: 20000n, recipient: RECIPIENT, groupKey: hexToBytes(GROUP_KEY) });
    expect(parseReclaimScript(hexToBytes(out.leaves.reclaim.script))).toEqual({ lockBlocks: 144, depositorKey: hexToBytes(RECLAIM_KEY) });
    for (const leaf of [out.leaves.deposit, out.leaves.reclaim])
      expect(verifyTaprootCommitment(hexToBytes(out.outputKey), hexToBytes(leaf.script), hexToBytes(leaf.controlBlock))).toBe(true);
  });

  it('address: a bad lock or recipient fails with the broken rule and exit code 1', () => {
    const badLock = cli(addressArgs.map((a) => (a === '144' ? '70000' : a)));
    expect(badLock.status).toBe(1);
    expect(badLock.stderr).toMatch(/reclaim leaf: lock blocks 70000 exceeds 65535/);
    const badRecipient = cli(addressArgs.map((a) => (a === RECIPIENT ? '0x1234' : a)));
    expect(badRecipient.status).toBe(1);
    expect(badRecipient.stderr).toMatch(/40 hex digits/);
  });

  const reclaimArgs = [
    'deposit', 'reclaim-tx', '--network', 'regtest',
    '--txid', 'a1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d', '--vout', '1', '--amount', '100000',
    '--deposit-script', out.leaves.deposit.script, '--reclaim-script', out.leaves.reclaim.script,
    '--to', 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080', '--fee-rate', '3',
  ];

  it('reclaim-tx: signs with the key from a file or the environment, nSequence = lock', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapbridge-reclaim-'));
    const keyFile = path.join(dir, 'reclaim.key');
    fs.writeFileSync(keyFile, DEPOSITOR_SECRET + '\n', { mode: 0o600 });
    const fromFile = cli([...reclaimArgs, '--key-file', keyFile]);
    expect(fromFile.stderr).toBe('');
    const r = JSON.parse(fromFile.stdout) as { txid: string; hex: string; vsize: number; fee: string; sequence: number };
    const fromEnv = JSON.parse(cli(reclaimArgs, { TAPBRIDGE_RECLAIM_KEY: DEPOSITOR_SECRET }).stdout) as typeof r;
    expect(fromEnv.vsize).toBe(r.vsize);
    const tx = decodeTransaction(r.hex);
    expect(hashToHex(tx.txid)).toBe(r.txid);
    expect(tx.version).toBe(2);
    expect(r.sequence).toBe(144);
    expect(tx.inputs[0]!.sequence).toBe(144);
    expect(tx.inputs[0]!.prevout.vout).toBe(1);
    const [sig, script, controlBlock] = tx.inputs[0]!.witness;
    expect(sig!.length).toBe(64);
    expect(bytesToHex(script!)).toBe(out.leaves.reclaim.script);
    expect(bytesToHex(controlBlock!)).toBe(out.leaves.reclaim.controlBlock);
    expect(r.vsize).toBe(Math.ceil(tx.weight / 4));
    expect(BigInt(r.fee)).toBe(BigInt(r.vsize * 3));
    expect(tx.outputs[0]!.value).toBe(100_000n - BigInt(r.fee));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reclaim-tx: refuses to run without a key source, with the wrong key, and takes no key argument', () => {
    const none = cli(reclaimArgs);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no reclaim key/);
    const wrong = cli(reclaimArgs, { TAPBRIDGE_RECLAIM_KEY: '03'.repeat(32) });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/is not the reclaim key/);
    const asArg = cli([...reclaimArgs, '--key', DEPOSITOR_SECRET]);
    expect(asArg.status).not.toBe(0);
    expect(asArg.stderr).toMatch(/unknown option '--key'/);
  });
});
