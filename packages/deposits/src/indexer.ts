import type { BlockReport } from './connect-block.js';
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

  /** Throws BlockMismatchError (recording nothing) when `rawBlock` is not the block `ref` names. */
  async connectBlock(ref: HeaderRef, rawBlock: Uint8Array): Promise<BlockReport> {
    const block = verifyServedBlock(rawBlock, ref);
    return this.store.transaction((tx) => applyConnectedBlock(tx, this.rules, ref, block));
  }

  disconnectBlock(ref: { hash: string; height: number }): Promise<BlockReport> {
    return this.store.transaction((tx) => applyDisconnectedBlock(tx, ref));
  }

  register(request: RegistrationRequest, observed: ObservedTransaction): Promise<RegistrationResult> {
    return this.store.transaction((tx) => applyRegistration(tx, this.rules, request, observed));
  }
}
