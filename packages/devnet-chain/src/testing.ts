// For tests and benchmarks: a throwaway devnet chain on free ports in a temp dir, with a funded miner address.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startDevnetChain, type DevnetChainHandle } from './start.js';

export interface TestDevnetChain extends DevnetChainHandle {
  /** The wallet address the initial blocks were mined to. */
  address: string;
}

export async function startTestDevnetChain(blocks: number): Promise<TestDevnetChain> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-devnet-'));
  const handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, logger: pino({ level: 'silent' }) });
  const address = handle.node.getNewAddress('bech32');
  if (blocks > 0) handle.node.generateToAddress(blocks, address);
  return Object.assign(handle, { address });
}
