export { coordinatorConfig } from './config.js';
export { custodyFor } from './custody.js';
export type { Custody } from './custody.js';
export { NATS_API_SUBJECTS } from './signing.rpc.js';
