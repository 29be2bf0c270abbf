// Mints through the running gateway: the built app as a child process (Postgres chain store, JetStream consumer,
// NATS request/reply), fed deposit.confirmed events the way the deposit-indexer emits them: a Bitcoin block's
// deposits committed to an outbox table in one transaction and published by the real OutboxRelay (packages/messaging).
// Two relay modes, interleaved block by block so both see the same load: "one at a time" (the relay before session 5:
// 100 rows a pass, each publish acked before the next) and "pipelined" (the relay now).
//
// Latency of a deposit: from the commit of its Bitcoin block's outbox transaction (the moment the indexer has
// decided) to the moment this process receives the newHeads notification (WebSocket eth_subscribe) of the L2 block
// that credits it. It includes the relay (publish, ack, mark sent), the JetStream hop, the gateway's checks (merkle
// proof against the header chain, one header request per Bitcoin block; the raw transaction and the custody,
// cached), block production with the EIP-4895 credits, the Postgres commit, and the WebSocket notification. Not
// included: the inbox write and the acks after the commit; the deposit-indexer's own scan and the header-watcher
// (this process answers rpc.btc.headers.* and rpc.signing.custody.get from memory).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { depositConfirmed, enqueueEventBatch, EventPublisher, OUTBOX_INBOX_SQL_PATH, OutboxRelay, prepareOutboxBatch, withTransaction } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import WebSocket from 'ws';
import { confirmedDeposit, type DepositConfirmed } from '../test/support/deposits.js';
import { buildGateway, GatewayEnv } from '../test/support/gateway.js';
import { makeBlockOf } from '../test/support/headers.js';

const DEPOSITS_PER_BLOCK = Number(process.env.BENCH_DEPOSITS_PER_BLOCK ?? 1_000);
/** Bitcoin blocks per relay mode, in each phase. */
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 3);
const OUTBOX_SCHEMA = 'bench_indexer';

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
  // Asks Postgres again only after a new L2 head was announced (or 250 ms passed): the latency clock stops at the
  // newHeads arrival, not at this query, and polling a 1,000-id query every few ms took CPU from the gateway.
  const allMinted = async (deposits: DepositConfirmed[]) => {
    let heads = -1;
    let askedAt = 0;
    for (;;) {
      if (seenAt.size !== heads || performance.now() - askedAt > 250) {
        heads = seenAt.size;
        askedAt = performance.now();
        const minted = await mintedBlocks(deposits);
        if (minted.size === deposits.length && [...minted.values()].every((b) => seenAt.has(b))) return minted;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  // The indexer's outbox: the canonical table in a schema of its own in the gateway's database.
  await gw.pool.query(`CREATE SCHEMA ${OUTBOX_SCHEMA}; SET search_path TO ${OUTBOX_SCHEMA}; ${readFileSync(OUTBOX_INBOX_SQL_PATH, 'utf8')}; RESET search_path`);
  const publisher = new EventPublisher(gw.messaging.js, gw.messaging.naming);
  const logger = createLogger('mint-bench', { level: 'warn' });
  type Mode = 'one at a time' | 'pipelined';
  const relays: Record<Mode, OutboxRelay> = {
    'one at a time': new OutboxRelay({ pool: gw.pool, schema: OUTBOX_SCHEMA, publisher, logger, batchSize: 100, maxInFlight: 1, pollIntervalMs: 50 }),
    pipelined: new OutboxRelay({ pool: gw.pool, schema: OUTBOX_SCHEMA, publisher, logger, pollIntervalMs: 50 }),
  };
  const relayMs: Record<Mode, number[]> = { 'one at a time': [], pipelined: [] };
  /** Commits the deposits' events to the outbox in one transaction and lets `mode`'s relay publish them; every deposit's clock starts at that commit. */
  const publish = async (deposits: DepositConfirmed[], startedAt: Map<string, number>, mode: Mode) => {
    const batch = prepareOutboxBatch(deposits.map((d) => ({ event: depositConfirmed, payload: d })));
    const relay = relays[mode];
    relay.start();
    await withTransaction(gw.pool, (tx) => enqueueEventBatch(tx, OUTBOX_SCHEMA, batch));
    const committed = performance.now();
    relay.wake();
    for (const d of deposits) startedAt.set(`${d.txid}:${d.vout}`, committed);
    // In the background: when the relay has every row stored in JetStream and marked sent.
    void (async () => {
      for (;;) {
        const { rows } = await gw.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${OUTBOX_SCHEMA}.outbox WHERE published_at IS NULL`);
        if (rows[0]!.n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      relayMs[mode].push(performance.now() - committed);
    })();
  };
  const stopRelays = async () => Promise.all(Object.values(relays).map((r) => r.stop()));
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
  await publish(warm, new Map(), 'pipelined');
  await allMinted(warm);
  await stopRelays();

  const modes: Mode[] = ['one at a time', 'pipelined'];
  console.log(`evm-gateway mints (Postgres store, real NATS JetStream), ${BLOCKS} Bitcoin blocks × ${DEPOSITS_PER_BLOCK} deposits per relay mode and phase, committed to an outbox and published by the OutboxRelay`);
  // Made before any clock starts: building deposits (taproot outputs, merkle proofs) is the indexer's work, not this.
  const oneByOne = Array.from({ length: 2 * BLOCKS }, (_, b) => bitcoinBlock(DEPOSITS_PER_BLOCK, 200 + b));
  const blocks = Array.from({ length: 2 * BLOCKS }, (_, b) => bitcoinBlock(DEPOSITS_PER_BLOCK, 400 + b));
  const pid = gw.pid!;
  const cpuUsed = { 'one at a time': 0, pipelined: 0 };
  const cpuLine = (mode: Mode, n: number) => {
    const used = cpuUsed[mode];
    console.log(`    gateway CPU: ${used.toFixed(2)} s for ${n} mints = ${(n / used).toFixed(0)} mints per CPU-second (what the wall-clock rate could reach on an idle core)`);
  };
  const loadNow = () => os.loadavg()[0]!.toFixed(1);

  // One Bitcoin block at a time, each after the one before is credited (blocks are minutes apart on Bitcoin), the
  // relay modes alternating. The rate is over the time the gateway had work: from each block's commit to its last
  // credited block.
  const byMode = Object.fromEntries(modes.map((m) => [m, { deposits: [] as DepositConfirmed[], startedAt: new Map<string, number>(), minted: new Map<string, number>(), busyMs: 0, loads: [] as string[] }]));
  for (const [i, block] of oneByOne.entries()) {
    const mode = modes[i % 2]!;
    const acc = byMode[mode]!;
    acc.loads.push(loadNow());
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    await publish(block, acc.startedAt, mode);
    const minted = await allMinted(block);
    acc.busyMs += Math.max(...[...minted.values()].map((b) => seenAt.get(b)!)) - t0;
    await stopRelays();
    cpuUsed[mode] += cpuSeconds(pid) - cpu0;
    for (const [k, v] of minted) acc.minted.set(k, v);
    acc.deposits.push(...block);
  }
  for (const mode of modes) {
    const acc = byMode[mode]!;
    report(`block by block, relay ${mode} (load ${acc.loads.join('/')})`, acc.deposits, acc.startedAt, acc.minted, acc.busyMs);
    cpuLine(mode, acc.deposits.length);
    console.log(`    relay: commit → every row stored in JetStream and marked sent, per block: ${relayMs[mode].slice(-BLOCKS).map((m) => `${m.toFixed(0)} ms`).join(', ')}`);
  }

  // Catching up: BLOCKS blocks' events committed back to back (an indexer that was behind), one mode after the other.
  for (const [i, mode] of modes.entries()) {
    const all = blocks.slice(i * BLOCKS, (i + 1) * BLOCKS);
    const startedAt = new Map<string, number>();
    const load = loadNow();
    const cpu0 = cpuSeconds(pid);
    for (const block of all) await publish(block, startedAt, mode);
    const minted = await allMinted(all.flat());
    await stopRelays();
    cpuUsed[mode] = cpuSeconds(pid) - cpu0;
    report(`back to back, relay ${mode} (load ${load})`, all.flat(), startedAt, minted);
    cpuLine(mode, all.flat().length);
  }
  ws.close();
  // Where the gateway's time went, per batch it applied (its own log): checks, queue → block committed, inbox write.
  const batches = gw.logs.filter((l) => l.msg === 'deposit batch applied').slice(-4 * BLOCKS);
  console.log('  gateway batches (deposits: checks / block / inbox ms):', batches.map((b) => `${String(b.deposits)}: ${String(b.checkMs)}/${String(b.blockMs)}/${String(b.inboxMs)}`).join(', '));
} finally {
  await gw.close();
}
