// Test helpers for packages using the sweep rules: a deterministic key, deposits, withdrawals, fake blocks, and a
// scenario with a snapshot for store parity tests.
export * from './fixtures.js';
export * from './scenario.js';
