// `pnpm tapbridge headers verify` spawned as an operator would run it, on the real mainnet file and on
// tampered copies in a temp dir.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes, hexToHash } from '../../src/bytes.js';
import { decodeHeader, encodeHeader, headerHashHex } from '../../src/header/codec.js';
import { HeaderChain } from '../../src/header/chain.js';
import { checkpointFromHeaders, checkpointToJson } from '../../src/header/checkpoint.js';
import { MAINNET, REGTEST } from '../../src/header/networks.js';
import { chainworkFromHex } from '../../src/header/work.js';
import {
  MAINNET_FILE,
  MAINNET_FIRST_HEIGHT,
  bitcoinData,
  hasBitcoinData,
  mineChain,
  readHeaderLines,
  readJson,
} from './fixtures.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tapbridge-headers-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function verify(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const cli = [
    '--conditions=@tapbridge/source',
    '--no-warnings',
    '--import',
    'tsx',
    'packages/cli/src/main.ts',
  ];
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [...cli, 'headers', 'verify', ...args],
      { cwd: repoRoot },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

function writeHeaders(name: string, headers: Uint8Array[]): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, headers.map((h) => bytesToHex(h)).join('\n') + '\n');
  return file;
}

describe.skipIf(!hasBitcoinData)('tapbridge headers verify (spawned) (needs ../shared/bitcoin-data)', () => {
  const realFile = path.join(bitcoinData, MAINNET_FILE);
  const headers = readHeaderLines(MAINNET_FILE);
  const chainwork = readJson<{ chainwork: Record<string, string> }>('mainnet/chainwork.json').chainwork;

  it('accepts the real mainnet file and reports its tip', async () => {
    const { code, stdout } = await verify(
      '--network',
      'mainnet',
      '--file',
      realFile,
      '--first-chainwork',
      chainwork['822528']!,
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      network: 'mainnet',
      count: 8065,
      first: { height: 822528, hash: '000000000000000000001daacd23f9cb40c69ba923085618a5f9dbdd4d97e93a' },
      tip: { height: 830592, hash: '00000000000000000000506183a8b30fa3224b85e82a70416e1d594bdb632fdb' },
      chainwork: chainwork['830592'],
      start: 'first-headers',
      trusted: 11,
      chainworkBasis: 'absolute',
    });
  });

  it('names height, hash and rule for a tampered copy (nonce changed at 825529)', async () => {
    const tampered = headers.map((h) => h);
    const h = decodeHeader(headers[3001]!);
    tampered[3001] = encodeHeader({ ...h, nonce: (h.nonce ^ 1) >>> 0 });
    const file = writeHeaders('headers-822528-830592.hex', tampered); // the name gives the first height
    const { code, stdout, stderr } = await verify('--network', 'mainnet', '--file', file);
    expect(code).not.toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      rule: 'high-hash',
      height: 825529,
      hash: headerHashHex(tampered[3001]!),
    });
    expect(stderr).toMatch(/high-hash at height 825529/);
  });

  it('reports a missing line as prev-blk-not-found at the height it would have had', async () => {
    const file = writeHeaders('gap.hex', [...headers.slice(0, 500), ...headers.slice(501)]);
    const { code, stdout } = await verify(
      '--network',
      'mainnet',
      '--file',
      file,
      '--first-height',
      String(MAINNET_FIRST_HEIGHT),
    );
    expect(code).not.toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      rule: 'prev-blk-not-found',
      height: MAINNET_FIRST_HEIGHT + 500,
      hash: headerHashHex(headers[501]!),
    });
  });

  it('starts from a --checkpoint file with absolute chainwork', async () => {
    const { checkpoint } = checkpointFromHeaders(
      headers,
      MAINNET_FIRST_HEIGHT,
      chainworkFromHex(chainwork['822528']!),
      MAINNET,
    );
    const chain = new HeaderChain(MAINNET, { checkpoint, now: () => 1_800_000_000 });
    for (const raw of headers.slice(11, 4000)) chain.add(raw);
    const cpFile = path.join(tmp, 'checkpoint.json');
    fs.writeFileSync(cpFile, JSON.stringify(checkpointToJson(chain.checkpointAt(826000))));
    const file = writeHeaders('after-checkpoint.hex', headers.slice(826000 - MAINNET_FIRST_HEIGHT));
    const { code, stdout } = await verify('--network', 'mainnet', '--file', file, '--checkpoint', cpFile);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      start: 'checkpoint',
      trusted: 0,
      tip: { height: 830592 },
      chainwork: chainwork['830592'],
    });
  });

  it('starts a file beginning with genesis from genesis (regtest)', async () => {
    const genesis = hexToBytes(REGTEST.genesisHeader);
    const mined = mineChain(
      REGTEST,
      { hash: hexToHash(REGTEST.genesisHash), time: decodeHeader(genesis).time },
      30,
    );
    const file = writeHeaders('regtest.hex', [genesis, ...mined]);
    const { code, stdout } = await verify('--network', 'regtest', '--file', file);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      start: 'genesis',
      count: 31,
      tip: { height: 30, hash: headerHashHex(mined[29]!) },
    });
    const wrongNetwork = await verify('--network', 'mainnet', '--file', file, '--first-height', '0');
    expect(wrongNetwork.code).not.toBe(0);
    expect(JSON.parse(wrongNetwork.stdout)).toMatchObject({ rule: 'bad-target', height: 0 });
  });
});
