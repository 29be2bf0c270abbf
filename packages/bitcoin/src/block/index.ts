// Full blocks: a single-pass parser, the header's commitments to its transactions, and output scanning.
export * from './errors.js';
export * from './parse.js';
export * from './commitments.js';
export * from './scan.js';
export * from './coinbase-height.js';
export * from './spends.js';
