// Mints through the running gateway: the built app as a child process (Postgres chain store, JetStream consumer,
// NATS request/reply), fed deposit.confirmed events the way the deposit-indexer's outbox relay publishes them (one
// awaited JetStream publish after another, a Bitcoin block's deposits back to back).
//
// Latency of a deposit: from the moment its deposit.confirmed publish starts to the moment this process receives
// the newHeads notification (WebSocket eth_subscribe) of the L2 block that credits it. It includes the JetStream hop,
// the gateway's checks (merkle proof against the header chain, one header request per Bitcoin block; the raw
// transaction and the custody, cached), block production with the EIP-4895 credits, the Postgres commit, and the
// WebSocket notification. Not included: the inbox write and the acks after the commit; the deposit-indexer and
// header-watcher themselves (this process answers rpc.btc.headers.* and rpc.signing.custody.get from memory).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { depositConfirmed } from '@tapbridge/messaging';
import WebSocket from 'ws';
import { confirmedDeposit, publishEvent, type DepositConfirmed } from '../test/support/deposits.js';
import { buildGateway, GatewayEnv } from '../test/support/gateway.js';
import { makeBlockOf } from '../test/support/headers.js';

const DEPOSITS_PER_BLOCK = Number(process.env.BENCH_DEPOSITS_PER_BLOCK ?? 1_000);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 5);

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);

/** A Bitcoin block of `n` deposits (each its own transaction, each with a raw tx and a merkle proof into the block). */
function bitcoinBlock(n: number, height: number): DepositConfirmed[] {
  const deposits = Array.from({ length: n }, (_, i) => confirmedDeposit({ amountSats: 10_000n + BigInt(i), recipient: `0x${randomBytes(20).toString('hex')}`, blockHeight: height, kind: i % 2 ? 'taproot' : 'op_return' }));
  const { blockHash, merkleProofs } = makeBlockOf(deposits.map((d) => d.txid), height);
  return deposits.map((d, i) => ({ ...d, blockHash, merkleProof: merkleProofs[i]! }));
}

/** CPU seconds (user + system) a process has used so far, from /proc (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

buildGateway();
// MINT_BENCH_PROFILE_DIR: a V8 CPU profile of the gateway process is written there when it exits (support/cpu-profile.mjs).
const profileDir = process.env.MINT_BENCH_PROFILE_DIR;
const profileEnv: Record<string, string> = profileDir === undefined ? {} : { NODE_OPTIONS: `--import ${new URL('./support/cpu-profile.mjs', import.meta.url).pathname}`, CPU_PROFILE_DIR: profileDir };
const gw = await GatewayEnv.create({ EVM_BLOCK_TIME_MS: '1000', LOG_LEVEL: 'info', ...profileEnv });
try {
  await gw.start();
  const seenAt = new Map<number, number>();
  const ws = new WebSocket(gw.rpcUrl.replace('http', 'ws'));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data: Buffer) => {
    const msg = JSON.parse(data.toString()) as { method?: string; params?: { result: { number: string } } };
    if (msg.method === 'eth_subscription') seenAt.set(Number(BigInt(msg.params!.result.number)), performance.now());
  });
  ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }));

  const mintedBlocks = async (deposits: DepositConfirmed[]) => {
    const { rows } = await gw.pool.query<{ deposit_id: string; block_number: string }>(
      'SELECT deposit_id, block_number FROM evm_gateway.evm_mint WHERE deposit_id = ANY($1::text[])',
      [deposits.map((d) => `${d.txid}:${d.vout}`)],
    );
    return new Map(rows.map((r) => [r.deposit_id, Number(r.block_number)]));
  };
  const allMinted = async (deposits: DepositConfirmed[]) => {
    for (;;) {
      const minted = await mintedBlocks(deposits);
      if (minted.size === deposits.length && [...minted.values()].every((b) => seenAt.has(b))) return minted;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  /** Publishes like the outbox relay (one awaited publish after another); returns when each publish started. */
  const publish = async (deposits: DepositConfirmed[], startedAt: Map<string, number>) => {
    const t0 = performance.now();
    for (const d of deposits) {
      startedAt.set(`${d.txid}:${d.vout}`, performance.now());
      await publishEvent(gw.messaging, depositConfirmed, d);
    }
    publishMs.push(performance.now() - t0);
  };
  const publishMs: number[] = [];
  const report = (label: string, deposits: DepositConfirmed[], startedAt: Map<string, number>, minted: Map<string, number>, busy?: number) => {
    const latencies = deposits.map((d) => { const id = `${d.txid}:${d.vout}`; return seenAt.get(minted.get(id)!)! - startedAt.get(id)!; }).sort((a, b) => a - b);
    const first = Math.min(...startedAt.values());
    const last = Math.max(...[...minted.values()].map((b) => seenAt.get(b)!));
    const ms = busy ?? last - first;
    const l2Blocks = new Set(minted.values()).size;
    // Each Bitcoin block's deposits should share one L2 block.
    const l2BlocksOf = new Map<string, Set<number>>();
    for (const d of deposits) l2BlocksOf.set(d.blockHash, (l2BlocksOf.get(d.blockHash) ?? new Set()).add(minted.get(`${d.txid}:${d.vout}`)!));
    const split = [...l2BlocksOf.values()].filter((s) => s.size > 1).length;
    console.log(`  ${label}: ${deposits.length} mints in ${l2Blocks} L2 block(s), ${((deposits.length / ms) * 1000).toFixed(0)} mints/s ` +
      `(first publish → last credited block seen: ${(ms / 1000).toFixed(2)} s${busy === undefined ? '' : ', summed over the blocks'}); ` +
      `Bitcoin blocks split over several L2 blocks: ${split} of ${l2BlocksOf.size}`);
    console.log(`    latency publish → credited block: p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${quantile(latencies, 0.99).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`);
  };

  // Warm-up: JIT, connections, the custody answer.
  const warm = bitcoinBlock(50, 100);
  await publish(warm, new Map());
  await allMinted(warm);

  console.log(`evm-gateway mints (Postgres store, real NATS JetStream), ${BLOCKS} Bitcoin blocks × ${DEPOSITS_PER_BLOCK} deposits, published like the indexer's outbox relay`);
  // Made before any clock starts: building deposits (taproot outputs, merkle proofs) is the indexer's work, not this.
  const oneByOne = Array.from({ length: BLOCKS }, (_, b) => bitcoinBlock(DEPOSITS_PER_BLOCK, 200 + b));
  const blocks = Array.from({ length: BLOCKS }, (_, b) => bitcoinBlock(DEPOSITS_PER_BLOCK, 300 + b));
  // One Bitcoin block at a time, each after the one before is credited (blocks are minutes apart on Bitcoin). The
  // rate is over the time the gateway had work: from each block's first publish to its last credited block.
  const pid = gw.pid!;
  let cpu = cpuSeconds(pid);
  const cpuLine = (n: number) => {
    const used = cpuSeconds(pid) - cpu;
    cpu = cpuSeconds(pid);
    console.log(`    gateway CPU: ${used.toFixed(2)} s for ${n} mints = ${(n / used).toFixed(0)} mints per CPU-second (what the wall-clock rate could reach on an idle core)`);
  };
  const oneAtATime = new Map<string, number>();
  const allOne: DepositConfirmed[] = [];
  const mintedOne = new Map<string, number>();
  let busyMs = 0;
  for (const block of oneByOne) {
    const t0 = performance.now();
    await publish(block, oneAtATime);
    const minted = await allMinted(block);
    busyMs += Math.max(...[...minted.values()].map((b) => seenAt.get(b)!)) - t0;
    for (const [k, v] of minted) mintedOne.set(k, v);
    allOne.push(...block);
  }
  report('block by block', allOne, oneAtATime, mintedOne, busyMs);
  cpuLine(allOne.length);

  // Catching up: all blocks' events back to back (an indexer that was behind).
  const backToBack = new Map<string, number>();
  const all = blocks.flat();
  await publish(all, backToBack);
  report('back to back', all, backToBack, await allMinted(all));
  cpuLine(all.length);
  ws.close();
  console.log(`  publishing alone (this process, one awaited publish at a time), per call of ${DEPOSITS_PER_BLOCK} (the last: all blocks): ${publishMs.slice(1).map((m) => `${m.toFixed(0)} ms`).join(', ')}`);
  // Where the gateway's time went, per batch it applied (its own log): checks, queue → block committed, inbox write.
  const batches = gw.logs.filter((l) => l.msg === 'deposit batch applied').slice(-2 * BLOCKS);
  console.log('  gateway batches (deposits: checks / block / inbox ms):', batches.map((b) => `${String(b.deposits)}: ${String(b.checkMs)}/${String(b.blockMs)}/${String(b.inboxMs)}`).join(', '));
} finally {
  await gw.close();
}
