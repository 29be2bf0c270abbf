// The signer's own view (issue 9): Bitcoin from its own header chain and sources, the L2 from a node it trusts, and
// its own record of what it signed.
export * from './bitcoin.js';
export * from './l2.js';
export * from './signed-sweeps.js';
export * from './header-store.js';
export * from './sources-bitcoin-view.js';
export * from './evm-rpc-l2-view.js';
export * from './fixed-views.js';
export * from './recovery.js';
export * from './disbursals.js';
