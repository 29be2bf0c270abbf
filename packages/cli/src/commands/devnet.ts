// `tapbridge devnet …`: run the local regtest chain (a development tool, not a node for real money) and
// drive a running one over its JSON-RPC.
import path from 'node:path';
import type { Command } from 'commander';
import { BitcoinCoreRpcSource, type BitcoinCoreRpcAuth } from '@tapbridge/chain-source';
import { DEFAULT_ESPLORA_PORT, DEFAULT_RPC_PORT, formatBtc, startDevnetChain } from '@tapbridge/devnet-chain';

interface RpcClientOptions {
  rpcUrl: string;
  dataDir: string;
  rpcUser?: string;
  rpcPassword?: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port number: ${value}`);
  return n;
}

function parsePositiveInt(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what} must be a positive integer, got ${value}`);
  return n;
}

/** Password auth when given, else the node's cookie in its data dir (as bitcoin-cli does). */
function rpcClient(opts: RpcClientOptions): BitcoinCoreRpcSource {
  const auth: BitcoinCoreRpcAuth =
    opts.rpcUser !== undefined && opts.rpcPassword !== undefined
      ? { user: opts.rpcUser, password: opts.rpcPassword }
      : { cookieFile: path.join(path.resolve(opts.dataDir), '.cookie') };
  return new BitcoinCoreRpcSource({ url: opts.rpcUrl, auth, name: 'devnet-chain', retry: { retries: 0 } });
}

function withRpcOptions(cmd: Command): Command {
  return cmd
    .option('--rpc-url <url>', 'JSON-RPC URL of the running devnet chain', `http://127.0.0.1:${DEFAULT_RPC_PORT}`)
    .option('--data-dir <dir>', 'data dir of the running chain (for its .cookie)', '.devnet/chain')
    .option('--rpc-user <user>', 'RPC user (default: cookie auth)')
    .option('--rpc-password <password>', 'RPC password');
}

export function registerDevnet(program: Command): void {
  const devnet = program.command('devnet').description('local regtest Bitcoin for development and tests (never for real money)');

  devnet
    .command('start')
    .description('run the devnet chain: Bitcoin Core JSON-RPC and Esplora REST')
    .option('--data-dir <dir>', 'where blocks, wallet and .cookie live', '.devnet/chain')
    .option('--rpc-port <port>', 'JSON-RPC port', String(DEFAULT_RPC_PORT))
    .option('--esplora-port <port>', 'Esplora REST port', String(DEFAULT_ESPLORA_PORT))
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--block-time <seconds>', 'mine a block every this many seconds (default: only on request)')
    .option('--rpc-user <user>', 'RPC user (cookie auth is always on)')
    .option('--rpc-password <password>', 'RPC password')
    .action(async (opts: { dataDir: string; rpcPort: string; esploraPort: string; host: string; blockTime?: string; rpcUser?: string; rpcPassword?: string }) => {
      const blockTime = opts.blockTime === undefined ? undefined : Number(opts.blockTime);
      if (blockTime !== undefined && !(blockTime > 0)) throw new Error(`--block-time must be a positive number of seconds, got ${opts.blockTime}`);
      const handle = await startDevnetChain({
        dataDir: path.resolve(opts.dataDir),
        rpcPort: parsePort(opts.rpcPort),
        esploraPort: parsePort(opts.esploraPort),
        host: opts.host,
        ...(opts.rpcUser !== undefined && opts.rpcPassword !== undefined ? { rpcUser: opts.rpcUser, rpcPassword: opts.rpcPassword } : {}),
        ...(blockTime !== undefined ? { blockTimeMs: blockTime * 1000 } : {}),
      });
      console.log(JSON.stringify({ rpcUrl: handle.rpcUrl, esploraUrl: handle.esploraUrl, cookieFile: handle.cookieFile, height: handle.node.tip.height }));
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await handle.close();
    });

  withRpcOptions(devnet.command('mine <n>'))
    .description('mine n blocks on the running chain (to a new wallet address unless --address)')
    .option('--address <address>', 'pay the coinbases here')
    .action(async (n: string, opts: RpcClientOptions & { address?: string }) => {
      const count = parsePositiveInt(n, 'n');
      const client = rpcClient(opts);
      const address = opts.address ?? ((await client.call('getnewaddress')) as string);
      const hashes = (await client.call('generatetoaddress', [count, address])) as string[];
      console.log(JSON.stringify({ address, blocks: hashes.length, tip: hashes[hashes.length - 1] }));
    });

  withRpcOptions(devnet.command('send <address> <sats>'))
    .description('pay sats from the devnet wallet to an address (sendtoaddress)')
    .action(async (address: string, sats: string, opts: RpcClientOptions) => {
      if (!/^\d+$/.test(sats) || BigInt(sats) <= 0n) throw new Error(`sats must be a positive whole number, got ${sats}`);
      // Core takes BTC amounts; a decimal string keeps every satoshi exact.
      const txid = (await rpcClient(opts).call('sendtoaddress', [address, formatBtc(BigInt(sats))])) as string;
      console.log(JSON.stringify({ txid }));
    });
}
