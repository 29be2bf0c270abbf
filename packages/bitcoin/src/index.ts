// packages/bitcoin: Bitcoin consensus encoding and rules, pure and server-free.
export * from './bytes.js';
export * from './header/index.js';
export * from './taproot/index.js';
