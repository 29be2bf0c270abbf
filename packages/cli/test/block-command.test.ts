import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBlock } from '@tapbridge/bitcoin';
import { repoRoot as root, sharedPath } from '@tapbridge/testing';

const blocksDir = sharedPath('bitcoin-data/mainnet/blocks');
const available = fs.existsSync(path.join(blocksDir, '830000.raw'));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface ScanJson {
  blockHash: string;
  height: number;
  merkleRootValid: boolean;
  witnessCommitmentValid: boolean;
  errors: { code: string }[];
  matches: { txid: string; vout: number; value: string; address: string; scriptPubKey: string }[];
}

describe.skipIf(!available)('tapbridge block scan (needs ../shared/bitcoin-data)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapbridge-scan-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rows = available
    ? fs
        .readFileSync(path.join(blocksDir, '830000-p2tr-outputs.csv'), 'utf8')
        .trim()
        .split(/\r?\n/)
        .slice(1)
        .map((l) => {
          const [, txid, vout, value, scriptPubKey, address] = l.split(',');
          return { txid: txid!, vout: Number(vout), value: value!, scriptPubKey: scriptPubKey!, address: address! };
        })
    : [];
  // Three addresses and one raw scriptPubKey, with a comment and a blank line.
  const picked = [rows[0]!, rows[1]!, rows.find((r) => r.address === 'bc1p9eue8xue7sypgxgm68999ykm0qf7nszve6494cu2ml37x7mxlntsmvnkl8')!];
  const byScript = rows[rows.length - 1]!;
  const watchFile = path.join(dir, 'watch.txt');
  if (available)
    fs.writeFileSync(watchFile, ['# deposit addresses', ...picked.map((r) => r.address), '', byScript.scriptPubKey].join('\n'));
  const wanted = new Set([...picked, byScript].map((r) => r.scriptPubKey));
  const expected = rows.filter((r) => wanted.has(r.scriptPubKey)).map((r) => ({ ...r }));
  const sortKey = (m: { txid: string; vout: number }): string => `${m.txid}:${m.vout}`;

  it('finds every output paying the watched addresses and scripts in the raw binary block', () => {
    const r = cli(['block', 'scan', '--file', path.join(blocksDir, '830000.raw'), '--network', 'mainnet', '--watch', watchFile]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as ScanJson;
    expect(out.blockHash).toBe('000000000000000000011d55599ed27d7efca05f5849b755319c89eb2cffbc1f');
    expect(out.height).toBe(830000);
    expect(out.merkleRootValid).toBe(true);
    expect(out.witnessCommitmentValid).toBe(true);
    expect(out.matches.slice().sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      expected.sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );
    expect(out.matches.length).toBeGreaterThanOrEqual(28);
  });

  it('reads a hex block file the same way, and flags an altered block with exit code 1', () => {
    const raw = fs.readFileSync(path.join(blocksDir, '830000.raw'));
    const hexFile = path.join(dir, 'block.hex');
    fs.writeFileSync(hexFile, raw.toString('hex') + '\n');
    const fromHex = JSON.parse(cli(['block', 'scan', '--file', hexFile, '--network', 'mainnet', '--watch', watchFile]).stdout) as ScanJson;
    expect(fromHex.matches).toHaveLength(expected.length);

    const altered = Buffer.from(raw);
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
    const spk = parseBlock(bytes).txs[1000]!.outputs[0]!.scriptPubKey;
    altered[spk.byteOffset - bytes.byteOffset + 5]! ^= 0x01; // inside an output script of tx 1000
    const alteredFile = path.join(dir, 'altered.raw');
    fs.writeFileSync(alteredFile, altered);
    const r = cli(['block', 'scan', '--file', alteredFile, '--network', 'mainnet', '--watch', watchFile]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as ScanJson;
    expect(out.merkleRootValid).toBe(false);
    expect(out.errors.map((e) => e.code)).toContain('bad-txnmrklroot');
  });

  it('rejects a watch line that is neither hex nor an address of the network', () => {
    const bad = path.join(dir, 'bad-watch.txt');
    fs.writeFileSync(bad, 'tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47zagq\n');
    const r = cli(['block', 'scan', '--file', path.join(blocksDir, '830000.raw'), '--network', 'mainnet', '--watch', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad-watch.txt:1/);
  });
});
