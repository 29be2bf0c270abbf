// One file per script template, each with build(params) and parse(script) that round-trip.
export * from './errors.js';
export * from './opcodes.js';
export * from './script.js';
export * from './template.js';
export * from './output-script.js';
export * from './evm-address.js';
export * from './x-only-key.js';
export * from './deposit.js';
export * from './reclaim.js';
export * from './custody.js';
export * from './op-return-deposit.js';
export * from './deposit-address.js';
export * from './custody-address.js';
export * from './identify.js';
