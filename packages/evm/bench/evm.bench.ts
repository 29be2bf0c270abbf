// Sustained throughput of the L2 node over JSON-RPC: transfers committed per second (in-memory and Postgres
// stores), eth_call and eth_getBalance per second; beside anvil when its npm binary can be installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, Transaction, Wallet } from 'ethers';
import { BRIDGE_DEPLOYED_BYTECODE } from '../src/generated/bridge-artifact.js';
import { benchKeys } from './support/keys.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BRIDGE = '0x0000000000000000000000000000000000B71D6E';
const SENDERS = 500;
const TX_PER_SENDER = 8;
const RPC_SECONDS = 5;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('node CPU = user + system time of the node process (all its threads, from /proc), per transfer or request: load distorts it less than wall time');

function rpc(url: string, body: unknown): Promise<unknown> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (err) {
            reject(err as Error);
          }
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function call(url: string, method: string, params: unknown[]): Promise<unknown> {
  const reply = (await rpc(url, { jsonrpc: '2.0', id: 1, method, params })) as { result?: unknown; error?: { message: string } };
  if (reply.error !== undefined) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result;
}

async function startNode(kind: 'memory' | 'postgres', mode: 'pipeline' | 'serial' = 'pipeline'): Promise<{ url: string; child: ChildProcess }> {
  // EVM_BENCH_NODE_FLAGS: extra node flags for the node process only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const flags = (process.env.EVM_BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f.length > 0);
  const child = spawn(process.execPath, [...flags, '--conditions=@tapbridge/source', '--import', 'tsx', path.join(here, 'support/node.ts'), kind, String(SENDERS), mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
  });
  return { url, child };
}

async function stopNode(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function presign(chainId: bigint, baseFee: bigint): Promise<string[][]> {
  const wallets = benchKeys(SENDERS).map((k) => new Wallet(k.privateKey));
  const sink = '0x000000000000000000000000000000000000dEaD';
  const bySender: string[][] = [];
  for (const w of wallets) {
    const txs: string[] = [];
    for (let nonce = 0; nonce < TX_PER_SENDER; nonce++) {
      txs.push(await w.signTransaction(Transaction.from({ type: 2, chainId, nonce, to: sink, value: 1n, gasLimit: 21_000n, maxFeePerGas: baseFee * 4n, maxPriorityFeePerGas: 1n })));
    }
    bySender.push(txs);
  }
  return bySender;
}

async function transfersPerSecond(url: string, signed: string[][]): Promise<{ tps: number; blocks: number; seconds: number }> {
  const total = signed.length * TX_PER_SENDER;
  const startBlock = BigInt((await call(url, 'eth_blockNumber', [])) as string);
  const t0 = performance.now();
  // Submit nonce by nonce across all senders, in JSON-RPC batches of 250, a few batches in flight.
  const order: string[] = [];
  for (let n = 0; n < TX_PER_SENDER; n++) for (const s of signed) order.push(s[n]!);
  const batches: unknown[][] = [];
  for (let i = 0; i < order.length; i += 250) {
    batches.push(order.slice(i, i + 250).map((raw, j) => ({ jsonrpc: '2.0', id: i + j, method: 'eth_sendRawTransaction', params: [raw] })));
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < batches.length) {
        const replies = (await rpc(url, batches[next++])) as { error?: { message: string } }[];
        const failed = replies.find((r) => r.error !== undefined);
        if (failed !== undefined) throw new Error(`submit failed: ${failed.error!.message}`);
      }
    }),
  );
  let committed = 0;
  let scanned = startBlock;
  for (;;) {
    const head = BigInt((await call(url, 'eth_blockNumber', [])) as string);
    for (; scanned < head; ) {
      scanned++;
      committed += Number(BigInt((await call(url, 'eth_getBlockTransactionCountByNumber', [`0x${scanned.toString(16)}`])) as string));
    }
    if (committed >= total) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - t0) / 1000;
  return { tps: total / seconds, blocks: Number(scanned - startBlock), seconds };
}

/** Requests per second over RPC_SECONDS with 32 clients; `params(i)` gives the i-th request's parameters. */
async function callsPerSecond(url: string, method: string, params: (i: number) => unknown[], pid: number | undefined, concurrency = 32): Promise<{ rate: number; cpuMicros: number | undefined }> {
  let count = 0;
  const cpu0 = cpuSeconds(pid);
  const until = performance.now() + RPC_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await call(url, method, params(count++));
      }
    }),
  );
  const cpu1 = cpuSeconds(pid);
  return { rate: count / RPC_SECONDS, cpuMicros: cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1e6) / count : undefined };
}

/** User+system CPU seconds a process has used (Linux /proc), to report cost independent of machine load. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || !fs.existsSync(`/proc/${pid}/stat`)) return undefined;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

interface NodeFigures {
  transfers: number;
  getBalance: number;
  sameCall: number;
  distinctCalls: number;
}

async function transfersPerSecondWithCpu(url: string, signed: string[][], pid: number | undefined): Promise<string> {
  const cpu0 = cpuSeconds(pid);
  const t = await transfersPerSecond(url, signed);
  const cpu1 = cpuSeconds(pid);
  const total = SENDERS * TX_PER_SENDER;
  const perTransfer = cpu0 !== undefined && cpu1 !== undefined ? `; node CPU ${(((cpu1 - cpu0) * 1000) / total).toFixed(2)} ms/transfer` : '';
  return `${fmt(t.tps)} transfers/s committed (${total} transfers in ${t.seconds.toFixed(2)} s, ${t.blocks} blocks${perTransfer}; load ${os.loadavg()[0]!.toFixed(1)})`;
}

const cpuNote = (micros: number | undefined) => (micros === undefined ? '' : `; node CPU ${fmt(micros)} µs per request`);

async function benchNode(label: string, url: string, signed: string[][] | undefined, pid: number | undefined): Promise<NodeFigures> {
  const chainId = BigInt((await call(url, 'eth_chainId', [])) as string);
  const gasPrice = BigInt((await call(url, 'eth_gasPrice', [])) as string);
  const txs = signed ?? (await presign(chainId, gasPrice));
  const cpu0 = cpuSeconds(pid);
  const t = await transfersPerSecond(url, txs);
  const cpu1 = cpuSeconds(pid);
  const total = SENDERS * TX_PER_SENDER;
  const perTransfer = cpu0 !== undefined && cpu1 !== undefined ? `; node CPU ${(((cpu1 - cpu0) * 1000) / total).toFixed(2)} ms/transfer = ${fmt(total / (cpu1 - cpu0))} transfers per CPU-second` : '';
  console.log(`${label}: ${fmt(t.tps)} transfers/s committed (${total} transfers in ${t.seconds.toFixed(2)} s, ${t.blocks} blocks${perTransfer})`);
  const probe = benchKeys(1)[0]!.address;
  const balance = await callsPerSecond(url, 'eth_getBalance', () => [probe, 'latest'], pid);
  console.log(`${label}: ${fmt(balance.rate)} eth_getBalance/s${cpuNote(balance.cpuMicros)}`);
  const data = new Interface(['function totalBurnedSats() view returns (uint256)']).encodeFunctionData('totalBurnedSats');
  const same = await callsPerSecond(url, 'eth_call', () => [{ to: BRIDGE, data }, 'latest'], pid);
  console.log(`${label}: ${fmt(same.rate)} eth_call/s, one request repeated (bridge.totalBurnedSats()${cpuNote(same.cpuMicros)})`);
  // A different caller each time: no two requests alike, so every one executes (nothing a node may answer from before).
  const distinct = await callsPerSecond(url, 'eth_call', (i) => [{ from: `0x${(0x10000 + i).toString(16).padStart(40, '0')}`, to: BRIDGE, data }, 'latest'], pid);
  console.log(`${label}: ${fmt(distinct.rate)} eth_call/s, every request different (same call from a new address each time${cpuNote(distinct.cpuMicros)})`);
  return { transfers: t.tps, getBalance: balance.rate, sameCall: same.rate, distinctCalls: distinct.rate };
}

let presignedChainId = 0n;
let presignedBaseFee = 0n;
const presigned = await (async () => {
  const t0 = performance.now();
  const { url, child } = await startNode('memory');
  const chainId = BigInt((await call(url, 'eth_chainId', [])) as string);
  const gasPrice = BigInt((await call(url, 'eth_gasPrice', [])) as string);
  presignedChainId = chainId;
  presignedBaseFee = BigInt(((await call(url, 'eth_getBlockByNumber', ['latest', false])) as { baseFeePerGas: string }).baseFeePerGas);
  const signed = await presign(chainId, gasPrice);
  console.log(`pre-signed ${SENDERS * TX_PER_SENDER} EIP-1559 transfers with ethers in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed below)`);
  await benchNode('tapbridge evm, in-memory store', url, signed, child.pid);
  await stopNode(child);
  return signed;
})();

let ours: NodeFigures | undefined;
try {
  // The same store with block pipelining off (the next block executes only after the previous commit), for scale.
  const serial = await startNode('postgres', 'serial');
  const off = await transfersPerSecondWithCpu(serial.url, presigned, serial.child.pid);
  console.log(`tapbridge evm, Postgres store, pipelining off: ${off}`);
  await stopNode(serial.child);
  const { url, child } = await startNode('postgres');
  ours = await benchNode('tapbridge evm, Postgres store (pipelined)', url, presigned, child.pid);
  await stopNode(child);
} catch (err) {
  console.log(`Postgres store: skipped (${(err as Error).message})`);
}

// anvil, for scale: installed from npm into a temp dir on first use (its platform package ships the binary).
async function findAnvil(): Promise<string | undefined> {
  if (process.env.ANVIL_BIN !== undefined) return process.env.ANVIL_BIN;
  const prefix = path.join(os.tmpdir(), 'tapbridge-anvil');
  // The platform package's binary itself, not the npm launcher, so its CPU time can be read.
  const bin = path.join(prefix, `node_modules/@foundry-rs/anvil-${process.platform}-${process.arch === 'x64' ? 'amd64' : process.arch}/bin/anvil`);
  if (!fs.existsSync(bin)) {
    const install = spawnSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '@foundry-rs/anvil@1.7.1'], { encoding: 'utf8', timeout: 120_000 });
    if (install.status !== 0) return undefined;
  }
  return spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 }).status === 0 ? bin : undefined;
}

const anvilBin = await findAnvil();
if (anvilBin === undefined) {
  console.log('anvil: skipped (could not install @foundry-rs/anvil from npm or run its binary here)');
} else {
  const port = 18_545 + Math.floor(Math.random() * 1_000);
  // Interval mining: with automine, anvil mines one block per transaction and stalls under batched load here.
  // Same chain id and starting base fee as ours, so the very same pre-signed transfers are valid there.
  const anvil = spawn(
    anvilBin,
    ['--port', String(port), '--accounts', '0', '--silent', '--block-time', '1', '--chain-id', String(presignedChainId), '--block-base-fee-per-gas', String(presignedBaseFee)],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      try {
        await call(url, 'eth_chainId', []);
        break;
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await Promise.all(benchKeys(SENDERS).map((k) => call(url, 'anvil_setBalance', [k.address, '0x56bc75e2d63100000'])));
    // The same bridge code at the same address, so both nodes run the very same eth_call.
    await call(url, 'anvil_setCode', [BRIDGE, BRIDGE_DEPLOYED_BYTECODE]);
    const theirs = await benchNode('anvil 1.7.1 (--block-time 1)', url, presigned, anvil.pid);
    if (ours !== undefined) {
      const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
      console.log(
        `ratio tapbridge (Postgres store) / anvil, same run: transfers ${ratio(ours.transfers, theirs.transfers)}, eth_getBalance ${ratio(ours.getBalance, theirs.getBalance)}, ` +
          `eth_call repeated ${ratio(ours.sameCall, theirs.sameCall)}, eth_call all different ${ratio(ours.distinctCalls, theirs.distinctCalls)}`,
      );
    }
  } finally {
    anvil.kill('SIGTERM');
  }
}
agent.destroy();
