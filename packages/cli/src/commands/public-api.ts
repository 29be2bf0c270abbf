// The public API (api-gateway /v1) through the typed client, for the commands an integrator runs: one URL (--api,
// else $TAPBRIDGE_API_URL, else the devnet stack's :4000) instead of a service port each.
import { createTapbridgeClient, type Problem, type TapbridgeClient } from '@tapbridge/client';

export const API_URL_ENV = 'TAPBRIDGE_API_URL';
export const API_OPTION_HELP = `api-gateway base URL (default $${API_URL_ENV} or http://127.0.0.1:4000)`;

export function apiUrl(opts: { api?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return (opts.api ?? (env[API_URL_ENV] || undefined) ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
}

export function publicApi(opts: { api?: string }): { client: TapbridgeClient; baseUrl: string } {
  const baseUrl = apiUrl(opts);
  return { client: createTapbridgeClient({ baseUrl }), baseUrl };
}

/** The answer's data, or an Error naming the problem (RFC 9457 detail) or why the gateway could not be reached. */
export async function answer<T>(baseUrl: string, call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: Awaited<typeof call>;
  try {
    r = await call;
  } catch (err) {
    const reason = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new Error(`cannot reach the api-gateway at ${baseUrl}: ${reason}`, { cause: err });
  }
  if (r.data !== undefined && r.response.ok) return r.data;
  const problem = r.error as Partial<Problem> | undefined;
  throw new Error(`${r.response.url.replace(baseUrl, '')}: ${r.response.status} ${problem?.detail ?? problem?.title ?? r.response.statusText}`);
}
