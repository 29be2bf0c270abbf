// packages/channels: Bitcoin state channels between a user and the custody, pure protocol (see README.md).
export * from './errors.js';
export * from './params.js';
export * from './shachain.js';
export * from './keys.js';
export * from './scripts.js';
export * from './transactions.js';
export * from './state-machine.js';
export * from './policy.js';
export * from './codec.js';
export * from './params-codec.js';
export * from './watchtower.js';
export * from './custody-desk.js';
