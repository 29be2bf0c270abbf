export { RuntimeModule, RUNTIME, bootstrapService } from './bootstrap.js';
export type { BootstrapOptions } from './bootstrap.js';
