import { z } from 'zod';

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

export const bitcoinNetwork = z.enum(['mainnet', 'testnet3', 'testnet4', 'signet', 'regtest']).default('regtest');

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
};
