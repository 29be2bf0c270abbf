import fs from 'node:fs';
import { z } from 'zod';
import { secret } from './load.js';

// Reusable field schemas: environment variables arrive as strings, these parse and check them.

export const port = (fallback?: number) => {
  const s = z.coerce.number({ error: 'must be a TCP port (1-65535)' }).int().min(1, 'must be a TCP port (1-65535)').max(65535, 'must be a TCP port (1-65535)');
  return fallback === undefined ? s : s.default(fallback);
};

export const positiveInt = (fallback?: number) => {
  const s = z.coerce.number({ error: 'must be a number' }).int('must be a whole number').positive('must be positive');
  return fallback === undefined ? s : s.default(fallback);
};

export const url = (protocols: string[], fallback?: string) => {
  const s = z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol.replace(/:$/, ''));
    } catch {
      return false;
    }
  }, `must be a URL with scheme ${protocols.join(' or ')}`);
  return fallback === undefined ? s : s.default(fallback);
};

export const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .default(fallback);

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

export const BITCOIN_NETWORKS = ['mainnet', 'testnet3', 'testnet4', 'signet', 'regtest'] as const;

export const bitcoinNetwork = z.enum(BITCOIN_NETWORKS).default('regtest');

// Fields several services share, written once so every service reads the same value the same way.

/** BITCOIN_NETWORK without a default: the custody services (signers, signing-coordinator) must be told which chain they guard. */
export const requiredBitcoinNetwork = z.enum(BITCOIN_NETWORKS);

/** 32 bytes of lowercase hex (a secret key, a hash). */
export const hex32 = () => z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex');

/** A host public key in hex: 33-byte compressed or 32-byte x-only. */
export const hostPubkeyHex = () => z.string().regex(/^(02|03)?[0-9a-f]{64}$/, 'must be a host public key in hex (33-byte compressed or 32-byte x-only)');

/** The passphrase that encrypts key files at rest. Secret: never logged. */
export const passphrase = (minLength: number) => secret(z.string().min(minLength, `must be at least ${minLength} characters`));

/** A 20-byte EVM address, 0x-prefixed, any case. */
export const evmAddress = () => z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte 0x address');

export const nonNegativeInt = (fallback: number) => z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').default(fallback);

/** A fee rate in sat/vB. */
export const feeRate = (fallback: number) => z.coerce.number({ error: 'must be a number (sat/vB)' }).positive('must be positive').max(1_000_000).default(fallback);

/** A whole number of satoshis (up to 16 digits), as a bigint. */
export const sats = (fallback: bigint) =>
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a whole number of satoshis')
    .transform((v) => BigInt(v))
    .default(fallback);

/**
 * An optional JSON setting given inline or as `@/path/to/file.json`, checked by `parse` (HEADER_CHECKPOINT with
 * parseCheckpoint); unset is undefined. The message names `what` and why the value failed.
 */
export const jsonOrFile = <T>(parse: (json: unknown) => T, what: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx): T | undefined => {
      if (value === undefined) return undefined;
      try {
        return parse(JSON.parse(value.startsWith('@') ? fs.readFileSync(value.slice(1), 'utf8') : value));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be ${what} JSON or @file: ${(err as Error).message}` });
        return z.NEVER;
      }
    });

/** A size in bytes: `1048576`, `512kb`, `1mb`. */
export const byteSize = (fallback: number) =>
  z
    .string()
    .regex(/^[0-9]+(b|kb|mb)?$/i, 'must be a size in bytes, or with kb/mb (e.g. 512kb)')
    .transform((v) => {
      const m = /^([0-9]+)(b|kb|mb)?$/i.exec(v)!;
      const unit = (m[2] ?? 'b').toLowerCase();
      return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
    })
    .pipe(z.number().int().positive('must be positive'))
    .default(fallback);

const optionalPath = () => z.string().min(1).optional();

/** How a service proves its NATS identity (users and permissions: packages/messaging/src/permissions.ts). */
function natsCredentialShape() {
  return {
    /** Default: the service's identity (`header-watcher`, `signer-3`), used only when a password is found. */
    NATS_USER: z.string().regex(/^[a-z0-9_-]+$/, 'must be lowercase letters, digits, - and _').optional(),
    NATS_PASSWORD: secret(z.string().min(1).optional()),
    /** A directory of `<user>.password` files (the devnet's generated NATS passwords). */
    NATS_CREDENTIALS_DIR: optionalPath(),
    NATS_CREDS_FILE: optionalPath(),
    NATS_NKEY_SEED_FILE: optionalPath(),
    /** TLS to NATS: the CA that signed the server's certificate, and a client certificate for servers that verify. */
    NATS_TLS_CA: optionalPath(),
    NATS_TLS_CERT: optionalPath(),
    NATS_TLS_KEY: optionalPath(),
  };
}

/** The HTTP server every service runs (packages/runtime bootstrapService): limits, timeouts, CORS, rate limits. */
function httpShape() {
  return {
    /** Interface the HTTP server listens on. Containers need 0.0.0.0; the devnet stack script uses 127.0.0.1. */
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    /** Largest request body accepted (larger: 413). */
    HTTP_BODY_LIMIT: byteSize(1024 * 1024),
    /** A request (headers and body) must arrive within this; the server answers 408 otherwise. */
    HTTP_REQUEST_TIMEOUT_MS: z.coerce.number({ error: 'must be a number' }).int().positive().default(30_000),
    HTTP_HEADERS_TIMEOUT_MS: z.coerce.number({ error: 'must be a number' }).int().positive().default(10_000),
    /** Idle keep-alive connections are closed after this. */
    HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number({ error: 'must be a number' }).int().positive().default(5_000),
    /** Comma-separated origins allowed cross-origin (e.g. https://app.example.org). Empty: no cross-origin access. */
    CORS_ORIGINS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const list = (v ?? '').split(',').map((o) => o.trim()).filter(Boolean);
        for (const o of list) {
          if (!/^https?:\/\/[^/\s]+$/.test(o)) ctx.addIssue({ code: 'custom', message: `${o} must be an origin: scheme://host[:port]` });
        }
        return list;
      }),
    /** Hops of reverse proxies whose X-Forwarded-For is believed (rate limits key on the client address). 0: none. */
    HTTP_TRUST_PROXY: z.coerce.number({ error: 'must be a number' }).int().nonnegative().default(0),
    /** Rate limits per client address and route, over a window shared by every replica (Redis). */
    RATE_LIMIT_WINDOW_MS: z.coerce.number({ error: 'must be a number' }).int().positive().default(60_000),
    RATE_LIMIT_READ: z.coerce.number({ error: 'must be a number' }).int().positive().default(1_200),
    RATE_LIMIT_WRITE: z.coerce.number({ error: 'must be a number' }).int().positive().default(60),
  };
}

/** Settings every tapbridge service shares: where its servers are and how it speaks. */
export const commonServiceShape = {
  DATABASE_URL: url(['postgres', 'postgresql'], 'postgresql://postgres@127.0.0.1:5432/tapbridge'),
  NATS_URL: url(['nats', 'tls'], 'nats://127.0.0.1:4222'),
  REDIS_URL: url(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
  STREAM_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase letters, digits and underscores')
    .default('tb'),
  LOG_LEVEL: logLevel,
  ...natsCredentialShape(),
  ...httpShape(),
};
