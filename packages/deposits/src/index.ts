// packages/deposits: the deposit indexer's rules as functions over a storage interface (sBTC style). The service
// supplies a Postgres store and chain-source blocks; tests use the in-memory store and synthetic blocks.
export * from './types.js';
export * from './errors.js';
export * from './config.js';
export * from './store.js';
export * from './memory-store.js';
export * from './served-block.js';
export * from './fetch-block.js';
export * from './merkle-block-proof.js';
export * from './spend-path.js';
export * from './status.js';
export * from './confirmations.js';
export * from './connect-block.js';
export * from './disconnect-block.js';
export * from './registration.js';
export * from './register-deposit.js';
export * from './indexer.js';
