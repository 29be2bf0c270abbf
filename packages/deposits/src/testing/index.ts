// Test helpers for the deposit rules and for stores that implement DepositStore (`@tapbridge/deposits/testing`).
export * from './synthetic-chain.js';
