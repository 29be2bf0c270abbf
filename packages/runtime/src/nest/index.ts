export { RuntimeModule, RUNTIME, bootstrapService } from './bootstrap.js';
export type { BootstrapOptions } from './bootstrap.js';
export { ApiKeyGuard, RequireScope, presentedKey, API_KEY_HEADER, API_KEY_SCHEME } from './api-key.guard.js';
export { RedisThrottlerStorage, RateLimitGuard, throttlerOptions } from './throttle.js';
