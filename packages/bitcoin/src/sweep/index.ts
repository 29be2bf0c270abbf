// Sweep/payout transactions (issue 9, sweep-spec.md): commitment, exact weights, fee split, build,
// packing, RBF fee, classification for the signer policy, PSBT export.
export * from './errors.js';
export * from './constants.js';
export * from './commitment.js';
export * from './weights.js';
export * from './fee-split.js';
export * from './checks.js';
export * from './build.js';
export * from './rates.js';
export * from './rbf.js';
export * from './plan.js';
export * from './classify.js';
export * from './psbt.js';
