export { ServiceRuntime } from './runtime.js';
export type { CommonServiceConfig, ServiceRuntimeOptions } from './runtime.js';
export { httpSettingsFrom } from './http-settings.js';
export type { HttpConfig, HttpSettings } from './http-settings.js';
export { API_KEYS_SCHEMA, API_KEYS_MIGRATIONS_DIR, API_KEY_SCOPES, ApiKeyError, createApiKey, listApiKeys, revokeApiKey, verifyApiKey, hasScope, validateScopes, migrateApiKeys, withApiKeyDatabase } from './api-keys.js';
export type { ApiKeyInfo } from './api-keys.js';
export { createServicePool } from './pg-pool.js';
