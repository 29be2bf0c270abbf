export * from './errors.js';
export * from './session-params.js';
export * from './certeq.js';
export * from './chilldkg.js';
export { VSS, VSSCommitment } from './vss.js';
