// Container health check without curl or wget (the slim image has neither): exits 0 when the URL answers 2xx.
//   node /usr/local/lib/tapbridge/healthcheck.mjs [path | url]
// A path is fetched from http://127.0.0.1:$HTTP_PORT; the default is /health/ready.
const target = process.argv[2] ?? '/health/ready';
const port = process.env.HTTP_PORT;
if (!/^https?:\/\//.test(target) && !port) {
  console.error('healthcheck: HTTP_PORT is not set; pass a full URL');
  process.exit(2);
}
const url = /^https?:\/\//.test(target) ? target : `http://127.0.0.1:${port}${target}`;
const timeoutMs = Number(process.env.HEALTHCHECK_TIMEOUT_MS ?? 4000);
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) console.error(`healthcheck: ${url} answered ${res.status}`);
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
