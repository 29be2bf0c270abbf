import type { Command } from 'commander';
import {
  deriveDevAccounts,
  devChainConfig,
  DEV_MNEMONIC,
  EvmEngine,
  FileChainStore,
  loadGenesisFile,
  MemoryChainStore,
  startJsonRpcServer,
  WEI_PER_SAT,
  BRIDGE_ADDRESS,
  type ChainConfig,
} from '@tapbridge/evm';

interface DevOptions {
  port: string;
  host: string;
  accounts: string;
  balance: string;
  dataDir?: string;
  genesis?: string;
  blockTime: string;
}

const positiveInt = (name: string, value: string, max: number): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${name} must be an integer in 0..${max}, got ${value}`);
  return n;
};

export function registerEvm(program: Command): void {
  const evm = program.command('evm').description('the Layer 2 EVM (BTC as the native coin)');
  evm
    .command('dev')
    .description('run a standalone development chain with funded accounts and Ethereum JSON-RPC (like anvil)')
    .option('--port <port>', 'JSON-RPC HTTP and WebSocket port', '8545')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--accounts <n>', 'dev accounts to fund from the test mnemonic', '10')
    .option('--balance <btc>', 'balance of each dev account, in BTC', '100')
    .option('--data-dir <dir>', 'keep the chain in <dir>/chain.jsonl across restarts (default: memory only)')
    .option('--genesis <file>', 'genesis JSON (chainId, gasLimit, alloc, …); dev accounts are added to its alloc')
    .option('--block-time <ms>', 'longest wait before an empty block; transactions are mined at once', '2000')
    .action(async (opts: DevOptions) => {
      const port = positiveInt('port', opts.port, 65_535);
      const accounts = deriveDevAccounts(positiveInt('accounts', opts.accounts, 1_000));
      const balanceBtc = BigInt(positiveInt('balance', opts.balance, 21_000_000));
      const base: ChainConfig = opts.genesis !== undefined ? loadGenesisFile(opts.genesis) : devChainConfig();
      const alloc = new Map(base.alloc);
      for (const a of accounts) alloc.set(a.address.toLowerCase(), { balance: balanceBtc * 100_000_000n * WEI_PER_SAT, nonce: 0n });
      const config = devChainConfig({ ...base, alloc, blockTimeMs: positiveInt('block-time', opts.blockTime, 3_600_000) || 1 });
      const store = opts.dataDir !== undefined ? FileChainStore.open(opts.dataDir) : new MemoryChainStore();
      const engine = await EvmEngine.open({ store, config });
      const server = await startJsonRpcServer({ engine, port, host: opts.host });

      console.log(`tapbridge EVM dev chain ${config.chainId} (0x${config.chainId.toString(16)}), block ${engine.headNumber}`);
      console.log(`\nAvailable accounts (${balanceBtc} BTC each)\n==================`);
      for (const a of accounts) console.log(`(${a.index}) ${a.address}`);
      console.log(`\nPrivate keys\n==================`);
      for (const a of accounts) console.log(`(${a.index}) ${a.privateKey}`);
      console.log(`\nMnemonic: ${DEV_MNEMONIC}\nDerivation path: m/44'/60'/0'/0/<index>`);
      console.log(`\nBridge contract: ${BRIDGE_ADDRESS}`);
      console.log(`Storage: ${opts.dataDir ?? 'memory (lost on exit)'}`);
      console.log(`\nListening on ${server.url} (WebSocket ${server.wsUrl})`);

      engine.on('block', ({ block }) => {
        if (block.transactions.length > 0 || (block.withdrawals?.length ?? 0) > 0) {
          console.log(`block ${block.header.number}: ${block.transactions.length} tx, ${block.withdrawals?.length ?? 0} mint, gas ${block.header.gasUsed}`);
        }
      });
      engine.on('sequencerError', (err) => console.error(`block production failed (retrying): ${err.message}`));

      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      await engine.close();
      await store.close();
    });
}
