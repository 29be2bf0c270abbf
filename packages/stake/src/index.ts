// packages/stake: the pledge rules, pure and independent of any server. Price feed, collateral and capacity, epochs,
// slashing on proof, rewards, unbonding, the double-entry stake ledger model, and offline evidence verification.
export * from './errors.js';
export * from './amounts.js';
export * from './price.js';
export * from './book.js';
export * from './capacity.js';
export * from './epochs.js';
export * from './slashing.js';
export * from './rewards.js';
export * from './ledger.js';
export * from './events.js';
export * from './evidence.js';
export * from './unbonding.js';
