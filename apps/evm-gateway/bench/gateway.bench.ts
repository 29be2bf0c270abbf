// Transfers per second through the running gateway (built app as a child process: Postgres chain store, runtime,
// consumers, metrics), submitted over JSON-RPC in batches and counted once committed. The engine alone over JSON-RPC
// is benched in packages/evm/bench.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { depositConfirmed } from '@tapbridge/messaging';
import { Transaction, Wallet } from 'ethers';
import { confirmedDeposit, publishEvent } from '../test/support/deposits.js';
import { buildGateway, GatewayEnv } from '../test/support/gateway.js';

const SENDERS = 200;
const TX_PER_SENDER = 10;
const BATCH = 200;
const CHAIN_ID = 29794n;
const DEPOSITS = 300;

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length} cores, node ${process.version}`);

const senders = Array.from({ length: SENDERS }, (_, i) => new Wallet(`0x${(0xbe0c4000n + BigInt(i)).toString(16).padStart(64, '0')}`));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-bench-'));
const genesisFile = path.join(dir, 'genesis.json');
fs.writeFileSync(
  genesisFile,
  JSON.stringify({ chainId: CHAIN_ID.toString(), alloc: Object.fromEntries(senders.map((w) => [w.address, { balance: (10n ** 20n).toString() }])) }),
);

buildGateway();
const gw = await GatewayEnv.create({ EVM_GENESIS_FILE: genesisFile, EVM_BLOCK_TIME_MS: '1000', LOG_LEVEL: 'warn' });
try {
  await gw.start();
  // Signed up front: the benchmark measures the gateway, not ethers' signing.
  const recipient = Wallet.createRandom().address;
  const raws: string[] = [];
  for (let n = 0; n < TX_PER_SENDER; n++) {
    for (const w of senders) {
      const tx = Transaction.from({ type: 2, chainId: CHAIN_ID, nonce: n, to: recipient, value: 1n, gasLimit: 21_000n, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 0n });
      tx.signature = w.signingKey.sign(tx.unsignedHash);
      raws.push(tx.serialized);
    }
  }
  const total = raws.length;
  const startHead = Number(await gw.rpc('eth_blockNumber', []));
  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i += BATCH) {
    const body = raws.slice(i, i + BATCH).map((raw, j) => ({ jsonrpc: '2.0', id: i + j, method: 'eth_sendRawTransaction', params: [raw] }));
    const res = await fetch(gw.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const replies = (await res.json()) as Array<{ error?: { message: string } }>;
    const failed = replies.find((r) => r.error !== undefined);
    if (failed) throw new Error(`eth_sendRawTransaction failed: ${failed.error!.message}`);
  }
  const submitted = Number(process.hrtime.bigint() - started) / 1e9;
  // Committed when every sender's nonce reached TX_PER_SENDER.
  const last = senders.at(-1)!.address;
  while (BigInt((await gw.rpc('eth_getTransactionCount', [last, 'latest'])) as string) < BigInt(TX_PER_SENDER)) await new Promise((r) => setTimeout(r, 20));
  const committed = Number(process.hrtime.bigint() - started) / 1e9;
  const endHead = Number(await gw.rpc('eth_blockNumber', []));
  const received = BigInt((await gw.rpc('eth_getBalance', [recipient, 'latest'])) as string);
  if (received !== BigInt(total)) throw new Error(`recipient got ${received} wei, expected ${total}`);
  console.log(`evm-gateway (Postgres store), ${SENDERS} senders × ${TX_PER_SENDER} transfers = ${total}, JSON-RPC batches of ${BATCH}`);
  console.log(`  accepted into the mempool: ${(total / submitted).toFixed(0)} tx/s (${submitted.toFixed(2)} s)`);
  console.log(`  committed: ${(total / committed).toFixed(0)} transfers/s (${committed.toFixed(2)} s, ${endHead - startHead} blocks, ${(total / Math.max(1, endHead - startHead)).toFixed(0)} tx/block)`);

  // Mints: deposit.confirmed on JetStream → credited in a committed block → acked (in batches; mint.bench.ts measures them properly).
  const mintRecipient = Wallet.createRandom().address;
  const mintsStarted = process.hrtime.bigint();
  for (let i = 0; i < DEPOSITS; i++) await publishEvent(gw.messaging, depositConfirmed, confirmedDeposit({ amountSats: 1_000n, recipient: mintRecipient }));
  const expected = BigInt(DEPOSITS) * 1_000n * 10n ** 10n;
  while (BigInt((await gw.rpc('eth_getBalance', [mintRecipient, 'latest'])) as string) < expected) await new Promise((r) => setTimeout(r, 20));
  const mintSeconds = Number(process.hrtime.bigint() - mintsStarted) / 1e9;
  console.log(`  mints: ${DEPOSITS} deposit.confirmed credited in ${mintSeconds.toFixed(2)} s = ${(DEPOSITS / mintSeconds).toFixed(0)} mints/s (published one by one, credited in batches)`);
} finally {
  await gw.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
