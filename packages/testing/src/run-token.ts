import { randomBytes } from 'node:crypto';

/**
 * The token of one test run (`TBTEST_RUN`, set once by the vitest global setup and inherited by every worker), so
 * everything a run creates on the shared servers (databases `tbtest_<run>_…`, stream prefixes containing `<run>`)
 * can be found and removed at its end, even what a crashed test never dropped. Outside vitest (benchmarks, scripts)
 * each process gets its own token.
 */
export function testRunToken(): string {
  const existing = process.env.TBTEST_RUN;
  if (existing && /^r[a-z0-9]{6,20}$/.test(existing)) return existing;
  const token = `r${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  process.env.TBTEST_RUN = token;
  return token;
}
