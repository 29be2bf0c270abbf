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
const headers = fs.readFileSync(file, 'utf8').trim().split('\n').map((line) => hexToBytes(line));
// The chainwork at the checkpoint does not matter for speed; the rules' context comes from the first 11 headers.
const { checkpoint, trusted } = checkpointFromHeaders(headers, 822528, 0n, MAINNET);
const toValidate = headers.slice(trusted);
const now = () => 1_800_000_000;

function syncOnce(): number {
  const chain = new HeaderChain(MAINNET, { checkpoint, now });
  for (const raw of toValidate) chain.add(raw);
  return chain.height;
}

function measure(name: string, perRound: number, round: () => unknown): number {
  for (let i = 0; i < 3; i++) round(); // warm up the JIT
  let rounds = 0;
  const start = performance.now();
  while (performance.now() - start < 1500) {
    round();
    rounds++;
  }
  const seconds = (performance.now() - start) / 1000;
  const rate = (rounds * perRound) / seconds;
  console.log(`${name.padEnd(40)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} /s  (${rounds * perRound} in ${seconds.toFixed(2)} s)`);
  return rate;
}

const cpus = os.cpus();
console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.arch()}`);
console.log(`data: ${headers.length} mainnet headers, ${toValidate.length} validated per round after a checkpoint at ${checkpoint.height}`);
const chainRate = measure('HeaderChain.add (all rules)', toValidate.length, syncOnce);
const hashRate = measure('sha256d (node:crypto via bytes.ts)', toValidate.length, () => {
  for (const raw of toValidate) sha256d(raw);
});
measure('headerHash (crypto.hash one-shot, as used)', toValidate.length, () => {
  for (const raw of toValidate) headerHash(raw);
});
console.log(`validation costs ${(hashRate / chainRate).toFixed(2)}× a bare sha256d per header`);
