/** Base class for every error this package throws on purpose, so callers can tell ours from bugs. */
export class EvmEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An amount that cannot be represented in the unit asked for (negative, fractional sat, too large). */
export class AmountError extends EvmEngineError {}

/** A chain configuration or genesis file that breaks a rule. */
export class ChainConfigError extends EvmEngineError {}

/** A transaction the sequencer refuses; `message` uses geth's wording so wallets recognise it. */
export class TransactionRejectedError extends EvmEngineError {}

/** A mint request that is malformed (bad deposit id, recipient or amount). */
export class MintError extends EvmEngineError {}

/** Storage failed or holds data that contradicts itself. */
export class ChainStoreError extends EvmEngineError {}
