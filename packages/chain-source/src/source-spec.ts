// BTC_SOURCES: which Bitcoin backends a service asks (the header watcher, the deposit indexer). Comma-separated,
// each one of
//   core+http://user:password@host:18443           Bitcoin Core JSON-RPC, user/password (rpcauth or rpcuser)
//   core+http://host:18443#cookie=/path/.cookie    Bitcoin Core JSON-RPC, cookie file (read at every connect)
//   esplora+https://blockstream.info/api           Esplora REST (no credentials)
// Names for logs and metric labels never carry credentials: `core@host:port`, `esplora@host/path`.

import { z } from 'zod';
import { BitcoinCoreRpcSource } from './bitcoin-core-rpc-source.js';
import { EsploraSource } from './esplora-source.js';

export type SourceSpec =
  | { kind: 'core'; name: string; url: string; auth: { user: string; password: string } | { cookieFile: string } }
  | { kind: 'esplora'; name: string; url: string };

export class SourceSpecError extends Error {
  override readonly name = 'SourceSpecError';
}

const FORMS = 'core+http(s)://user:password@host:port, core+http(s)://host:port#cookie=/path/.cookie, or esplora+http(s)://host[:port][/path]';

export function parseSourceSpecs(value: string): SourceSpec[] {
  if (typeof value !== 'string' || value.trim() === '') throw new SourceSpecError(`no sources given; each is ${FORMS}`);
  const specs = value.split(',').map((s, i) => parseSourceSpec(s.trim(), i + 1));
  const seen = new Map<string, number>();
  return specs.map((s) => {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    return n === 1 ? s : { ...s, name: `${s.name}#${n}` };
  });
}

export function parseSourceSpec(entry: string, position = 1): SourceSpec {
  const fail = (why: string): never => {
    throw new SourceSpecError(`source ${position} (${redact(entry)}): ${why}; expected ${FORMS}`);
  };
  const m = /^([a-z]+)\+(.*)$/.exec(entry);
  if (!m) return fail('missing the kind prefix (core+ or esplora+)');
  const [, kind, rest] = m as unknown as [string, string, string];
  let url: URL;
  try {
    url = new URL(rest);
  } catch {
    return fail('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`scheme ${url.protocol} is not http or https`);
  if (url.search) fail('query strings are not supported');
  const where = `${url.hostname}${url.port ? `:${url.port}` : ''}`;
  if (kind === 'esplora') {
    if (url.username || url.password) fail('Esplora takes no credentials');
    if (url.hash) fail(`unexpected fragment ${url.hash}`);
    const path = url.pathname.replace(/\/+$/, '');
    return { kind: 'esplora', name: `esplora@${where}${path}`, url: `${url.protocol}//${where}${path}` };
  }
  if (kind !== 'core') return fail(`unknown kind "${kind}"`);
  if (url.pathname !== '/' && url.pathname !== '') fail('a Core RPC URL has no path');
  const base = `${url.protocol}//${where}`;
  const name = `core@${where}`;
  const cookie = /^#cookie=(.+)$/.exec(url.hash);
  if (url.hash && !cookie) fail(`unexpected fragment ${url.hash} (only #cookie=/path/.cookie)`);
  if (cookie) {
    if (url.username || url.password) fail('give either user:password or #cookie=, not both');
    return { kind: 'core', name, url: base, auth: { cookieFile: decodeURIComponent(cookie[1]!) } };
  }
  if (!url.username || !url.password) fail('Bitcoin Core RPC needs user:password@ or #cookie=/path/.cookie');
  return { kind: 'core', name, url: base, auth: { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } };
}

/** The entry with any password masked, for error messages. */
function redact(entry: string): string {
  return entry.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

/** Clients for parsed specs, in configured order. */
export function createChainSources(specs: readonly SourceSpec[], options: { timeoutMs?: number } = {}): Array<BitcoinCoreRpcSource | EsploraSource> {
  const common = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  return specs.map((spec) =>
    spec.kind === 'core'
      ? new BitcoinCoreRpcSource({ url: spec.url, auth: spec.auth, name: spec.name, ...common })
      : new EsploraSource({ url: spec.url, name: spec.name, ...common }),
  );
}

/** The BTC_SOURCES setting for a service's config schema: parsed into specs, each bad entry reported by position. */
export function btcSourcesSetting(fallback = 'esplora+http://127.0.0.1:3030') {
  return z
    .string()
    .default(fallback)
    .transform((value, ctx): SourceSpec[] => {
      try {
        return parseSourceSpecs(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });
}
