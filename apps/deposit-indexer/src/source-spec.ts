// BTC_SOURCES, the same format the header watcher reads (its parser lives inside apps/header-watcher, so this is
// the indexer's own copy of the format): comma-separated, each one of
//   core+http://user:password@host:18443           Bitcoin Core JSON-RPC with user/password
//   core+http://host:18443#cookie=/path/.cookie    Bitcoin Core JSON-RPC with a cookie file
//   esplora+http://host:3030[/path]                Esplora REST
// Names for logs never carry credentials: `core@host:port`, `esplora@host/path`.

export type SourceSpec =
  | { kind: 'core'; name: string; url: string; auth: { user: string; password: string } | { cookieFile: string } }
  | { kind: 'esplora'; name: string; url: string };

export class SourceSpecError extends Error {
  override readonly name = 'SourceSpecError';
}

const FORMS = 'core+http(s)://user:password@host:port, core+http(s)://host:port#cookie=/path/.cookie, or esplora+http(s)://host[:port][/path]';

export function parseSourceSpecs(value: string): SourceSpec[] {
  if (typeof value !== 'string' || value.trim() === '') throw new SourceSpecError(`no sources given; each is ${FORMS}`);
  return value.split(',').map((entry, i) => parseSourceSpec(entry.trim(), i + 1));
}

function parseSourceSpec(entry: string, position: number): SourceSpec {
  const fail = (why: string): never => {
    throw new SourceSpecError(`source ${position} (${entry.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')}): ${why}; expected ${FORMS}`);
  };
  const m = /^(core|esplora)\+(https?:\/\/.*)$/.exec(entry);
  if (!m) return fail('missing the core+ or esplora+ prefix on an http(s) URL');
  let url: URL;
  try {
    url = new URL(m[2]!);
  } catch {
    return fail('not a URL');
  }
  if (url.search) fail('query strings are not supported');
  const where = `${url.hostname}${url.port ? `:${url.port}` : ''}`;
  if (m[1] === 'esplora') {
    if (url.username || url.password || url.hash) fail('Esplora takes no credentials or fragment');
    const path = url.pathname.replace(/\/+$/, '');
    return { kind: 'esplora', name: `esplora@${where}${path}`, url: `${url.protocol}//${where}${path}` };
  }
  if (url.pathname !== '/' && url.pathname !== '') fail('a Core RPC URL has no path');
  const base = `${url.protocol}//${where}`;
  const cookie = /^#cookie=(.+)$/.exec(url.hash);
  if (cookie) {
    if (url.username || url.password) fail('give either user:password or #cookie=, not both');
    return { kind: 'core', name: `core@${where}`, url: base, auth: { cookieFile: decodeURIComponent(cookie[1]!) } };
  }
  if (url.hash) fail(`unexpected fragment ${url.hash}`);
  if (!url.username || !url.password) fail('Bitcoin Core RPC needs user:password@ or #cookie=/path/.cookie');
  return { kind: 'core', name: `core@${where}`, url: base, auth: { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) } };
}
