// packages/bitcoin: Bitcoin consensus encoding and rules, pure and server-free.
export * from './bytes.js';
export * from './header/index.js';
export * from './taproot/index.js';
export * from './scripts/index.js';
export * from './networks-address.js';
export * from './address.js';
export * from './tx/index.js';
export * from './merkle/index.js';
export * from './block/index.js';
export * from './sweep/index.js';
export * from './disbursal/index.js';
