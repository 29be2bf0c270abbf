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

/** `options` adds to the defaults (free ports, a temp dir removed on close, silent logger), e.g. rpcUser/rpcPassword or the fee knobs. */
export async function startTestDevnetChain(blocks: number, options: Partial<StartDevnetChainOptions> = {}): Promise<TestDevnetChain> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tb-devnet-'));
  const handle = await startDevnetChain({ rpcPort: 0, esploraPort: 0, logger: pino({ level: 'silent' }), ...options, dataDir });
  const address = handle.node.getNewAddress('bech32');
  if (blocks > 0) handle.node.generateToAddress(blocks, address);
  const close = handle.close;
  // The temp dir is this helper's: closing removes it (a caller's own dataDir is left alone).
  const ownDir = options.dataDir === undefined;
  return Object.assign(handle, {
    address,
    close: async () => {
      await close();
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
