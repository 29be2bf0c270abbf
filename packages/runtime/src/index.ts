export { ServiceRuntime } from './runtime.js';
export type { CommonServiceConfig, ServiceRuntimeOptions } from './runtime.js';
