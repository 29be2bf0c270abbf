/** The deposit rules (packages/deposits DepositRules) built from the config. */
export const DEPOSIT_RULES = Symbol('DEPOSIT_RULES');
/** The chain sources: each in turn for blocks, one fallback view for transaction lookups (sources.ts ChainLookups). */
export const CHAIN_LOOKUPS = Symbol('CHAIN_LOOKUPS');
