// BIP340/341 primitives: tagged hashes, leaf and branch hashes, the key tweak, control blocks, script trees.
export * from './errors.js';
export * from './tagged-hash.js';
export * from './leaf.js';
export * from './tweak.js';
export * from './control-block.js';
export * from './script-tree.js';
