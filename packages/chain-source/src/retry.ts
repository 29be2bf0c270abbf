import { ChainSourceError } from './errors.js';

export interface RetryPolicy {
  /** Further attempts after the first. Default 3. */
  retries: number;
  /** First backoff; doubles each attempt. Default 200 ms. */
  baseDelayMs: number;
  /** Ceiling for one backoff. Default 5 s. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 3, baseDelayMs: 200, maxDelayMs: 5_000 });

/** Injectable for tests: how to wait, and where jitter comes from. */
export interface RetryEnvironment {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  random: () => number;
}

export const defaultRetryEnvironment: RetryEnvironment = {
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        },
        { once: true },
      );
    }),
  random: Math.random,
};

/** Full jitter (AWS architecture blog): uniform in [0, min(max, base·2^attempt)]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or the retries run out. */
export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy, env: RetryEnvironment, signal?: AbortSignal): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(e instanceof ChainSourceError) || !e.retryable || i >= policy.retries || signal?.aborted) throw e;
      await env.sleep(backoffDelay(i, policy, env.random), signal);
    }
  }
}
