// Transactions: codec, hashes and sizes, BIP143/BIP341 signature hashes, the reclaim builder.
export * from './types.js';
export * from './errors.js';
export * from './codec.js';
export * from './hashes.js';
export * from './sighash-taproot.js';
export * from './sighash-segwit-v0.js';
export * from './reclaim.js';
export * from './reclaim-psbt.js';
