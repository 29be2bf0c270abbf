export * from './errors.js';
export * from './session-params.js';
export * from './certeq.js';
export * from './chilldkg.js';
export { coordinatorRecover, participantRecover, recover } from './recovery.js';
export { VSS, VSSCommitment } from './vss.js';
