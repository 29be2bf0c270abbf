/** The HTTP settings of packages/config commonServiceShape, as the config hands them over (all optional here). */
export interface HttpConfig {
  HTTP_HOST?: string;
  HTTP_BODY_LIMIT?: number;
  HTTP_REQUEST_TIMEOUT_MS?: number;
  HTTP_HEADERS_TIMEOUT_MS?: number;
  HTTP_KEEP_ALIVE_TIMEOUT_MS?: number;
  CORS_ORIGINS?: string[];
  HTTP_TRUST_PROXY?: number;
  RATE_LIMIT_WINDOW_MS?: number;
  RATE_LIMIT_READ?: number;
  RATE_LIMIT_WRITE?: number;
}

/** What bootstrapService applies to every service's HTTP server. */
export interface HttpSettings {
  /** Interface to listen on. */
  host: string;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Origins allowed cross-origin; empty: no CORS headers at all. */
  corsOrigins: string[];
  trustProxyHops: number;
  rateLimit: { windowMs: number; read: number; write: number };
}

/** Defaults equal packages/config's, for runtimes started without a config (tests, tools). */
export function httpSettingsFrom(c: HttpConfig): HttpSettings {
  return {
    host: c.HTTP_HOST ?? '0.0.0.0',
    bodyLimitBytes: c.HTTP_BODY_LIMIT ?? 1024 * 1024,
    requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS ?? 30_000,
    headersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_MS ?? 10_000,
    keepAliveTimeoutMs: c.HTTP_KEEP_ALIVE_TIMEOUT_MS ?? 5_000,
    corsOrigins: c.CORS_ORIGINS ?? [],
    trustProxyHops: c.HTTP_TRUST_PROXY ?? 0,
    rateLimit: { windowMs: c.RATE_LIMIT_WINDOW_MS ?? 60_000, read: c.RATE_LIMIT_READ ?? 1_200, write: c.RATE_LIMIT_WRITE ?? 60 },
  };
}
