import type { Block } from '@tapbridge/bitcoin';
import type { BlockReport } from './connect-block.js';
import type { VerifiedBlock } from './fetch-block.js';
import { applyConnectedBlock } from './connect-block.js';
import { checkDepositRules, type DepositRules } from './config.js';
import { applyDisconnectedBlock } from './disconnect-block.js';
import { applyRegistration, type ObservedTransaction, type RegistrationResult } from './register-deposit.js';
import type { RegistrationRequest } from './registration.js';
import { verifyServedBlock } from './served-block.js';
import type { DepositStore } from './store.js';
import type { ChainBlock } from './types.js';

/** The btc.header.* payload fields the rules use. */
export type HeaderRef = ChainBlock;

/**
 * The deposit indexer's decisions, each one store transaction: a connected block (verified against its
 * validated header before anything is read from it), a disconnected block, a registration.
 */
export class DepositIndexer {
  readonly rules: DepositRules;

  constructor(
    private readonly store: DepositStore,
    rules: DepositRules,
  ) {
    this.rules = checkDepositRules(rules);
  }

  /**
   * Applies a connected block: raw bytes are verified against `ref` first (BlockMismatchError, recording
   * nothing, when they are not that block); a VerifiedBlock from fetchVerifiedBlock must be for `ref`.
   */
  async connectBlock(ref: HeaderRef, served: Uint8Array | VerifiedBlock): Promise<BlockReport> {
    let block: Block;
    if (served instanceof Uint8Array) block = verifyServedBlock(served, ref);
    else if (served.ref.hash === ref.hash && served.ref.header === ref.header) block = served.block;
    else throw new RangeError(`verified block ${served.ref.hash} is not block ${ref.hash}`);
    return this.store.transaction((tx) => applyConnectedBlock(tx, this.rules, ref, block));
  }

  disconnectBlock(ref: { hash: string; height: number }): Promise<BlockReport> {
    return this.store.transaction((tx) => applyDisconnectedBlock(tx, ref));
  }

  register(request: RegistrationRequest, observed: ObservedTransaction): Promise<RegistrationResult> {
    return this.store.transaction((tx) => applyRegistration(tx, this.rules, request, observed));
  }
}
