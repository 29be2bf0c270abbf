// Devnet chain throughput: blocks mined per second (empty blocks, the bulk of any test run) and
// sendrawtransaction validations per second (P2WPKH and P2TR key path, full script checks).
// Run: node --conditions=@tapbridge/source --import tsx packages/devnet-chain/bench/mine.bench.ts [blocks]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Transaction } from 'bitcoinjs-lib';
import { encodeSegwitAddress, hexToHash } from '@tapbridge/bitcoin';
import { DevnetChain, signP2trKeyPathInput, signP2wpkhInput } from '../src/index.js';

const BLOCKS = Number(process.argv[2] ?? 100_000);
const TXS = 500;

const noop = (): void => undefined;
const logger = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => logger, level: 'silent' };
const silent = logger as unknown as NonNullable<Parameters<typeof DevnetChain.open>[0]>['logger'];
const outsider = encodeSegwitAddress('bcrt', 0, new Uint8Array(20).fill(7));

function rate(n: number, ms: number): string {
  return `${Math.round((n * 1000) / ms).toLocaleString('en-US')}/s`;
}

function benchMining(): void {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'devnet-bench-'));
  try {
    // Timestamps must stay within two hours of "now" and above the median time past, so a clock that runs
    // as fast as the miner stands in for 100k blocks' worth of wall time (as setmocktime would).
    let fakeNow = 1_700_000_000;
    const clock = (): number => (fakeNow += 1);
    const node = DevnetChain.open({ dataDir, logger: silent, clock });
    const t0 = performance.now();
    const chunk = 10_000;
    for (let done = 0; done < BLOCKS; done += chunk) node.generateToAddress(Math.min(chunk, BLOCKS - done), outsider);
    const ms = performance.now() - t0;
    const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
    console.log(`mine ${BLOCKS.toLocaleString('en-US')} empty blocks (persisted): ${(ms / 1000).toFixed(1)} s, ${rate(BLOCKS, ms)}, heap ${heapMb.toFixed(0)} MiB, blocks.dat ${(fs.statSync(path.join(dataDir, 'blocks.dat')).size / 2 ** 20).toFixed(1)} MiB`);
    node.close();
    const t1 = performance.now();
    const reopened = DevnetChain.open({ dataDir, logger: silent, clock });
    const reopenMs = performance.now() - t1;
    console.log(`restart: replay ${reopened.tip.height.toLocaleString('en-US')} blocks in ${(reopenMs / 1000).toFixed(1)} s (${rate(reopened.tip.height, reopenMs)})`);
    reopened.close();
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function benchValidation(type: 'bech32' | 'bech32m'): void {
  const node = DevnetChain.open({ logger: silent });
  const address = node.getNewAddress(type);
  const script = node.decodeAddress(address);
  const secret = node.dumpPrivKey(address);
  node.generateToAddress(TXS, address);
  node.generateToAddress(100, outsider);
  const raws: string[] = [];
  for (let h = 1; h <= TXS; h++) {
    const entry = node.chain.active[h]!;
    const value = entry.block.txs[0]!.outs[0]!.value;
    const tx = new Transaction();
    tx.version = 2;
    tx.addInput(hexToHash(entry.txids[0]!), 0, 0xfffffffd);
    tx.addOutput(node.decodeAddress(outsider), value - 1_000n);
    const witness = type === 'bech32' ? signP2wpkhInput(tx, 0, secret, value) : signP2trKeyPathInput(tx, 0, secret, [{ script, value }]);
    tx.setWitness(0, witness);
    raws.push(tx.toHex());
  }
  const t0 = performance.now();
  for (const raw of raws) node.sendRawTransaction(raw);
  const ms = performance.now() - t0;
  console.log(`sendrawtransaction ${type === 'bech32' ? 'P2WPKH (ECDSA)' : 'P2TR key path (Schnorr)'}: ${TXS} txs in ${ms.toFixed(0)} ms, ${rate(TXS, ms)}`);
  const t1 = performance.now();
  node.generateToAddress(1, outsider);
  console.log(`  mine a block of ${TXS} mempool txs: ${(performance.now() - t1).toFixed(0)} ms`);
}

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, node ${process.version}`);
benchMining();
benchValidation('bech32');
benchValidation('bech32m');
