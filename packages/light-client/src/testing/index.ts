// Test and benchmark helpers: regtest mining and an in-memory source (import '@tapbridge/light-client/testing').
export { mineHeaders, genesisParent, parentOf } from './mine.js';
export type { MinedParent, MineOptions } from './mine.js';
export { MemoryHeaderSource } from './memory-source.js';
