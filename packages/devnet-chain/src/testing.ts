// For tests and benchmarks: a throwaway devnet chain on free ports in a temp dir, with a funded miner address.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startDevnetChain, type DevnetChainHandle, type StartDevnetChainOptions } from './start.js';

export interface TestDevnetChain extends DevnetChainHandle {
  /** The wallet address the initial blocks were mined to. */
  address: string;
}

/** `options` adds to the defaults (free ports, temp dir, silent logger), e.g. rpcUser/rpcPassword or the fee knobs. */
export async function startTestDevnetChain(blocks: number, options: Partial<StartDevnetChainOptions> = {}): Promise<TestDevnetChain> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-devnet-'));
  const handle = await startDevnetChain({ dataDir, rpcPort: 0, esploraPort: 0, logger: pino({ level: 'silent' }), ...options });
  const address = handle.node.getNewAddress('bech32');
  if (blocks > 0) handle.node.generateToAddress(blocks, address);
  return Object.assign(handle, { address });
}
