// Block scanning as the deposit indexer does it on every block: parse (txid and wtxid per tx), txid merkle
// root and witness commitment, then match every output against 10,000 watched scriptPubKeys. Printed beside
// the time to SHA256d the block's bytes once, the floor for anything that reads the whole block.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkBlockCommitments, hashToHex, parseBlock, scanBlock, sha256d } from '../src/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const blocksDir = path.resolve(root, '../shared/bitcoin-data/mainnet/blocks');
const ROUNDS = 15;
const WATCHED = 10_000;

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, node ${process.version}, load ${os.loadavg()[0]!.toFixed(2)}`);
if (!fs.existsSync(blocksDir)) {
  console.log(`skipped: ${blocksDir} not found (real blocks live in ../shared/bitcoin-data)`);
  process.exit(0);
}
const files = fs
  .readdirSync(blocksDir)
  .filter((f) => f.endsWith('.raw'))
  .sort();

const median = (xs: number[]): number => {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1]!;
};

console.log(`${ROUNDS} rounds per block, ${WATCHED} watched scripts (random P2TR/P2WPKH plus 50 real outputs of the block)\n`);
console.log('block    MB     txs   outputs  matches | parse  commit  scan   total (median ms) | total best | sha256d(block) ms');
for (const file of files) {
  const raw = new Uint8Array(fs.readFileSync(path.join(blocksDir, file)));
  const probe = parseBlock(raw);
  const outputs = probe.txs.flatMap((tx) => tx.outputs);
  const watch = new Set<string>();
  // A watch list shaped like the indexer's: mostly deposit addresses that do not appear, some that do.
  for (let i = 0; outputs.length > 0 && i < 50; i++) watch.add(Buffer.from(outputs[(i * 7919) % outputs.length]!.scriptPubKey).toString('hex'));
  while (watch.size < WATCHED)
    watch.add((watch.size % 2 ? '5120' : '0014') + crypto.randomBytes(watch.size % 2 ? 32 : 20).toString('hex'));

  const parse: number[] = [];
  const commit: number[] = [];
  const scan: number[] = [];
  const total: number[] = [];
  const hashOnly: number[] = [];
  let matches = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const block = parseBlock(raw);
    const t1 = performance.now();
    checkBlockCommitments(block);
    const t2 = performance.now();
    matches = scanBlock(block, watch).length;
    const t3 = performance.now();
    sha256d(raw);
    const t4 = performance.now();
    parse.push(t1 - t0);
    commit.push(t2 - t1);
    scan.push(t3 - t2);
    total.push(t3 - t0);
    hashOnly.push(t4 - t3);
  }
  const name = file.replace('.raw', '');
  console.log(
    `${name.padEnd(8)} ${(raw.length / 1e6).toFixed(2).padStart(4)} ${String(probe.txs.length).padStart(6)} ${String(outputs.length).padStart(8)} ${String(matches).padStart(8)} |` +
      ` ${median(parse).toFixed(1).padStart(5)} ${median(commit).toFixed(1).padStart(6)} ${median(scan).toFixed(1).padStart(5)} ${median(total).toFixed(1).padStart(7)}` +
      `            | ${Math.min(...total).toFixed(1).padStart(10)} | ${median(hashOnly).toFixed(2).padStart(8)}   ${hashToHex(probe.hash).slice(0, 16)}…`,
  );
}
