// A connected block through the deposit rules, as the indexer applies it: verify against the validated header
// (parse, merkle root, witness commitment), scan outputs against the watch set, look up every input's prevout,
// record sightings with merkle proofs, custody outputs, and announce. In-memory store, so this is the rules' own
// cost; the service adds Postgres round trips. Real mainnet blocks 831328…831335 applied in chain order.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, hashToHex, parseBlock } from '@tapbridge/bitcoin';
import { DepositIndexer, InMemoryDepositStore } from '../src/index.js';
import { GROUP_KEY } from '../src/testing/index.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const blocksDir = path.resolve(root, '../shared/bitcoin-data/mainnet/blocks');
const ROUNDS = 7;
const WATCHED_PER_BLOCK = 200;

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, node ${process.version}`);
if (!fs.existsSync(blocksDir)) {
  console.log(`skipped: ${blocksDir} not found (real blocks live in ../shared/bitcoin-data)`);
  process.exit(0);
}
const heights = [831328, 831329, 831330, 831331, 831332, 831333, 831334, 831335];
const blocks = heights.map((h) => {
  const raw = new Uint8Array(fs.readFileSync(path.join(blocksDir, `${h}.raw`)));
  const parsed = parseBlock(raw);
  return { h, raw, parsed, ref: { hash: hashToHex(parsed.hash), height: h, prevHash: hashToHex(parsed.header.prevHash), header: bytesToHex(raw.subarray(0, 80)) } };
});
// The custody address: the P2TR output paid most often in these blocks; deposits: P2TR outputs spread over them.
const p2tr = blocks.flatMap((b) => b.parsed.txs.flatMap((tx) => tx.outputs.map((o, vout) => ({ tx, vout, o })))).filter((x) => x.o.scriptPubKey.length === 34 && x.o.scriptPubKey[0] === 0x51);
const counts = new Map<string, number>();
for (const x of p2tr) counts.set(bytesToHex(x.o.scriptPubKey), (counts.get(bytesToHex(x.o.scriptPubKey)) ?? 0) + 1);
const custody = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
const watched = blocks.flatMap((b) => {
  const outs = b.parsed.txs.flatMap((tx) => tx.outputs.map((o, vout) => ({ tx, vout, o }))).filter((x) => x.o.scriptPubKey.length === 34 && x.o.scriptPubKey[0] === 0x51 && bytesToHex(x.o.scriptPubKey) !== custody);
  return Array.from({ length: WATCHED_PER_BLOCK }, (_, i) => outs[(i * 7919) % outs.length]!);
});

const perBlock = new Map<number, number[]>();
let matches = 0;
for (let round = 0; round < ROUNDS; round++) {
  const store = new InMemoryDepositStore();
  await store.transaction(async (tx) => {
    const seen = new Set<string>();
    for (const w of watched) {
      const txid = hashToHex(w.tx.txid);
      if (seen.has(`${txid}:${w.vout}`)) continue;
      seen.add(`${txid}:${w.vout}`);
      await tx.insertDeposit({ txid, vout: w.vout, kind: 'taproot', scriptPubKey: bytesToHex(w.o.scriptPubKey), amountSats: w.o.value, recipient: '0x' + '00'.repeat(20), maxFeeSats: 0n, status: 'registered' });
    }
  });
  const indexer = new DepositIndexer(store, { confirmations: 6, groupKey: GROUP_KEY, custodyScriptPubKey: Buffer.from(custody, 'hex'), opReturnMaxFeeSats: 0n });
  matches = 0;
  for (const b of blocks) {
    const t0 = process.hrtime.bigint();
    const report = await indexer.connectBlock(b.ref, b.raw);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    matches += report.depositOutputs + report.custodyCreated;
    perBlock.set(b.h, [...(perBlock.get(b.h) ?? []), ms]);
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
console.log(`${ROUNDS} rounds; ${watched.length} watched deposit outputs; ${matches} deposit and custody outputs found per round\n`);
console.log('height   MB    txs   | connectBlock median ms  best ms');
for (const b of blocks) {
  const xs = perBlock.get(b.h)!;
  console.log(`${b.h}  ${(b.raw.length / 1e6).toFixed(2)}  ${String(b.parsed.txs.length).padStart(5)} | ${median(xs).toFixed(1).padStart(10)}  ${Math.min(...xs).toFixed(1).padStart(14)}`);
}
