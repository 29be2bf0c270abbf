// Header validation throughput through HeaderChain on the 8065 real mainnet headers 822528…830592, beside raw
// sha256d with node:crypto on the same bytes (the floor any validator pays). Prints results and the machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexToBytes, sha256d } from '../src/bytes.js';
import { HeaderChain } from '../src/header/chain.js';
import { headerHash } from '../src/header/codec.js';
import { checkpointFromHeaders } from '../src/header/checkpoint.js';
import { MAINNET } from '../src/header/networks.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const file = path.resolve(repoRoot, '../shared/bitcoin-data/mainnet/headers-822528-830592.hex');
if (!fs.existsSync(file)) {
  console.log(`headers bench skipped: ${file} not found`);
  process.exit(0);
}
const headers = fs
  .readFileSync(file, 'utf8')
  .trim()
  .split('\n')
  .map((line) => hexToBytes(line));
// The chainwork at the checkpoint does not matter for speed; the rules' context comes from the first 11 headers.
const { checkpoint, trusted } = checkpointFromHeaders(headers, 822528, 0n, MAINNET);
const toValidate = headers.slice(trusted);
const now = () => 1_800_000_000;

function syncOnce(): number {
  const chain = new HeaderChain(MAINNET, { checkpoint, now });
  for (const raw of toValidate) chain.add(raw);
  return chain.height;
}

/** Rounds for ~1.5 s; the median and best round rate, since a shared machine makes single runs noisy. */
function measure(name: string, perRound: number, round: () => unknown): number {
  for (let i = 0; i < 3; i++) round(); // warm up the JIT
  const rates: number[] = [];
  const start = performance.now();
  while (performance.now() - start < 1500) {
    const t = performance.now();
    round();
    rates.push(perRound / ((performance.now() - t) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  const fmt = (r: number) => Math.round(r).toLocaleString('en-US').padStart(10);
  console.log(
    `${name.padEnd(44)} median ${fmt(median)} /s   best ${fmt(rates[rates.length - 1]!)} /s   (${rates.length} rounds of ${perRound})`,
  );
  return median;
}

const cpus = os.cpus();
console.log(
  `machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`,
);
console.log(
  `data: ${headers.length} mainnet headers, ${toValidate.length} validated per round after a checkpoint at ${checkpoint.height}`,
);
const chainRate = measure('HeaderChain.add (all rules)', toValidate.length, syncOnce);
const hashRate = measure('sha256d (node:crypto via bytes.ts)', toValidate.length, () => {
  for (const raw of toValidate) sha256d(raw);
});
measure('headerHash (crypto.hash one-shot, as used)', toValidate.length, () => {
  for (const raw of toValidate) headerHash(raw);
});
console.log(
  `median: full validation costs ${(hashRate / chainRate).toFixed(2)}× a bare bytes.ts sha256d per header`,
);
