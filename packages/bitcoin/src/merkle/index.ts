// Merkle trees: block roots (with Core's mutation check), witness commitments, branches, partial trees.
export * from './errors.js';
export * from './root.js';
export * from './witness.js';
export * from './branch.js';
export * from './partial.js';
export * from './merkle-block.js';
