// Records as JSONB: bigints (satoshis, withdrawal ids) become {"$sats": "<decimal>"} so they round-trip exactly.
import type { Prisma } from '../generated/prisma/client.js';

export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? { $sats: v.toString() } : v));
}

export function fromJson<T>(value: unknown): T {
  const revive = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(revive);
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.$sats === 'string' && Object.keys(o).length === 1) return BigInt(o.$sats);
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revive(x)]));
    }
    return v;
  };
  return revive(value) as T;
}

/** The same JSON as a value, for a Prisma Json column. */
export function toJsonValue(value: unknown): Prisma.InputJsonValue {
  return JSON.parse(toJson(value)) as Prisma.InputJsonValue;
}
