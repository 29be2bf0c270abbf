// packages/sweeps: the sweep/payout pipeline's rules as functions over a storage interface (sBTC style). The
// sweep-coordinator supplies a Postgres store, the signers and the chain sources; tests use the in-memory store.
export * from './types.js';
export * from './store.js';
export * from './memory-store.js';
export * from './intake.js';
export * from './families.js';
export * from './chain.js';
export * from './plan.js';
export * from './witness.js';
export * from './progress.js';
export * from './reserves.js';
export * from './views.js';
