// The sweep-coordinator service (NestJS app); its rules live in @tapbridge/sweeps.
export { sweepCoordinatorConfig, CRASH_POINTS } from './config.js';
export type { SweepCoordinatorConfig, CrashPoint } from './config.js';
export { PostgresSweepStore, DuplicateEventError } from './store/postgres-store.js';
