export { ServiceRuntime } from './runtime.js';
export type { ServiceRuntimeOptions } from './runtime.js';
