import { randomBytes } from 'node:crypto';

/** A stream/subject prefix unique to this test run, so concurrent runs on one NATS never collide. */
export function uniquePrefix(label = 't'): string {
  return `${label}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.toLowerCase();
}
