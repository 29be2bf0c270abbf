// packages/chain-source: clients for Bitcoin Core JSON-RPC and Esplora REST behind one ChainSource interface.
// A source's answer is data, not truth: callers validate headers themselves.
export * from './chain-source.js';
export * from './errors.js';
export * from './retry.js';
export * from './bitcoin-core-rpc-source.js';
export * from './esplora-source.js';
export * from './multi-source.js';
export * from './metrics.js';
export * from './source-spec.js';
export { alreadyKnownReason } from './broadcast.js';
