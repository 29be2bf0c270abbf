import { randomBytes } from 'node:crypto';
import { testRunToken } from './run-token.js';

/**
 * A stream/subject prefix unique to this test, so concurrent runs on one NATS never collide. It carries the run's
 * token, so the run's global teardown deletes the streams of tests that did not clean up.
 */
export function uniquePrefix(label = 't'): string {
  return `${label}${testRunToken()}${randomBytes(3).toString('hex')}`.toLowerCase();
}
