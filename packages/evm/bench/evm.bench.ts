// Sustained throughput of the L2 node over JSON-RPC: transfers committed per second (in-memory and Postgres
// stores), eth_call and eth_getBalance per second; beside anvil when its npm binary can be installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Interface, Transaction, Wallet } from 'ethers';
import { benchKeys } from './support/keys.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SENDERS = 500;
const TX_PER_SENDER = 8;
const RPC_SECONDS = 5;
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores, node ${process.version}`);

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

async function startNode(kind: 'memory' | 'postgres'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', path.join(here, 'support/node.ts'), kind, String(SENDERS)], {
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

async function callsPerSecond(url: string, method: string, params: unknown[], concurrency = 32): Promise<number> {
  let count = 0;
  const until = performance.now() + RPC_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await call(url, method, params);
        count++;
      }
    }),
  );
  return count / RPC_SECONDS;
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function benchNode(label: string, url: string, signed: string[][] | undefined): Promise<void> {
  const chainId = BigInt((await call(url, 'eth_chainId', [])) as string);
  const gasPrice = BigInt((await call(url, 'eth_gasPrice', [])) as string);
  const txs = signed ?? (await presign(chainId, gasPrice));
  const t = await transfersPerSecond(url, txs);
  console.log(`${label}: ${fmt(t.tps)} transfers/s committed (${SENDERS * TX_PER_SENDER} transfers in ${t.seconds.toFixed(2)} s, ${t.blocks} blocks)`);
  const probe = benchKeys(1)[0]!.address;
  console.log(`${label}: ${fmt(await callsPerSecond(url, 'eth_getBalance', [probe, 'latest']))} eth_getBalance/s`);
  const data = new Interface(['function totalBurnedSats() view returns (uint256)']).encodeFunctionData('totalBurnedSats');
  console.log(`${label}: ${fmt(await callsPerSecond(url, 'eth_call', [{ to: '0x0000000000000000000000000000000000B71D6E', data }, 'latest']))} eth_call/s (bridge.totalBurnedSats)`);
}

const presigned = await (async () => {
  const t0 = performance.now();
  const { url, child } = await startNode('memory');
  const chainId = BigInt((await call(url, 'eth_chainId', [])) as string);
  const gasPrice = BigInt((await call(url, 'eth_gasPrice', [])) as string);
  const signed = await presign(chainId, gasPrice);
  console.log(`pre-signed ${SENDERS * TX_PER_SENDER} EIP-1559 transfers with ethers in ${((performance.now() - t0) / 1000).toFixed(1)} s (not timed below)`);
  await benchNode('tapbridge evm, in-memory store', url, signed);
  await stopNode(child);
  return signed;
})();

try {
  const { url, child } = await startNode('postgres');
  await benchNode('tapbridge evm, Postgres store', url, presigned);
  await stopNode(child);
} catch (err) {
  console.log(`Postgres store: skipped (${(err as Error).message})`);
}

// anvil, for scale: only if the npm package ships a runnable binary here.
const anvil = spawnSync('npx', ['--no-install', 'anvil', '--version'], { encoding: 'utf8' });
if (anvil.status !== 0) {
  console.log('anvil: skipped (no anvil binary installed; @foundry-rs/anvil is not a dependency of this workspace)');
}
agent.destroy();
