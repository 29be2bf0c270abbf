export { JobQueue } from './queue.js';
export type { JobQueueOptions } from './queue.js';
export { redisConnection } from './connection.js';
export type { Job } from 'bullmq';
