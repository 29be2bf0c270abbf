export { ConfigError, loadConfig, describeConfig, secret } from './load.js';
export type { Env, EnvSchema } from './load.js';
export * from './fields.js';
export { z } from 'zod';
