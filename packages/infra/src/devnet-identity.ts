// The devnet stack keeps state in two places: the checkout's .devnet/ (chain, key shares, NATS JetStream store) and
// the shared Postgres databases (tapbridge, tapbridge_signer_<i>). Both halves must come from the same devnet: a
// coordinator whose database holds an old group key beside signers without shares, or a header-watcher on an old
// chain's tip, looks healthy and never works. So each devnet gets an id, kept in .devnet/devnet-id and as a marker
// on every one of its databases (COMMENT ON DATABASE), and the stack refuses to start when they disagree.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export const ID_FILE = 'devnet-id';
const MARKER_PREFIX = 'tapbridge-devnet:';
/** What an earlier run leaves in .devnet/ (before ids existed): its presence means "not a fresh devnet". */
const STATE_ENTRIES = ['chain', 'nats', 'signer-1', 'admin.apikey'];

export interface DevnetDatabases {
  /** The devnet's state folder (.devnet). */
  stateDir: string;
  /** Any database URL on the server; its database part is replaced by each name. */
  serverUrl: string;
  /** Every database the devnet owns. */
  databases: readonly string[];
}

export interface DatabaseState {
  name: string;
  exists: boolean;
  /** The devnet id it is marked with, if any. */
  owner: string | undefined;
  /** Whether it holds any table outside the system schemas. */
  hasTables: boolean;
}

/** Thrown when .devnet/ and the databases belong to different devnets; the message says what to do. */
export class DevnetMismatchError extends Error {
  override readonly name = 'DevnetMismatchError';
}

const databaseUrl = (serverUrl: string, name: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};
const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string): string => `'${text.replace(/'/g, "''")}'`;
const DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function newDevnetId(): string {
  return `dn-${randomBytes(6).toString('hex')}`;
}

export function readDevnetId(stateDir: string): string | undefined {
  const file = path.join(stateDir, ID_FILE);
  if (!fs.existsSync(file)) return undefined;
  const id = fs.readFileSync(file, 'utf8').trim();
  if (!/^dn-[0-9a-f]{12}$/.test(id)) throw new DevnetMismatchError(`${file} does not hold a devnet id (dn-<12 hex>): ${JSON.stringify(id.slice(0, 40))}. Run scripts/stack.sh reset to start over.`);
  return id;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function inspectDatabases(o: DevnetDatabases): Promise<DatabaseState[]> {
  for (const name of o.databases) if (!DB_NAME.test(name)) throw new TypeError(`not a database name: ${JSON.stringify(name)}`);
  const rows = await withClient(databaseUrl(o.serverUrl, 'postgres'), async (c) =>
    (await c.query<{ datname: string; comment: string | null }>(`SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = ANY($1)`, [o.databases])).rows,
  );
  const states: DatabaseState[] = [];
  for (const name of o.databases) {
    const row = rows.find((r) => r.datname === name);
    if (!row) {
      states.push({ name, exists: false, owner: undefined, hasTables: false });
      continue;
    }
    const owner = row.comment?.startsWith(MARKER_PREFIX) ? row.comment.slice(MARKER_PREFIX.length) : undefined;
    const hasTables = await withClient(databaseUrl(o.serverUrl, name), async (c) =>
      (await c.query(`SELECT 1 FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') LIMIT 1`)).rowCount! > 0,
    );
    states.push({ name, exists: true, owner, hasTables });
  }
  return states;
}

function describe(db: DatabaseState): string {
  if (db.owner) return `Postgres database "${db.name}" belongs to devnet ${db.owner}`;
  if (db.hasTables) return `Postgres database "${db.name}" holds data of a devnet without an id (another checkout, or a .devnet/ that was deleted)`;
  return `Postgres database "${db.name}" ${db.exists ? 'is empty' : 'does not exist'}`;
}

const RESET_HINT =
  'Run `scripts/stack.sh reset` to drop the devnet databases, delete .devnet/ and start over (if another checkout runs a devnet on these databases, stop it first: both cannot share them).';

/**
 * Makes sure .devnet/ and the databases are one devnet, and returns its id: a fresh .devnet/ claims empty or missing
 * databases (creating and marking them); an existing one needs every database marked with its id. A .devnet/ from
 * before ids existed adopts unmarked databases. Anything else is refused with DevnetMismatchError.
 */
export async function claimDevnet(o: DevnetDatabases): Promise<{ id: string; created: boolean; adopted: boolean }> {
  const existingId = readDevnetId(o.stateDir);
  const states = await inspectDatabases(o);
  if (existingId) {
    const wrong = states.filter((s) => s.owner !== existingId);
    if (wrong.length > 0) {
      throw new DevnetMismatchError(
        `.devnet/ belongs to devnet ${existingId}, but:\n${wrong.map((s) => `  - ${describe(s)}`).join('\n')}\n` +
          `Started like this the services would mix two devnets' state (e.g. a group key the signers hold no shares for). ${RESET_HINT}`,
      );
    }
    return { id: existingId, created: false, adopted: false };
  }
  const legacy = STATE_ENTRIES.some((e) => fs.existsSync(path.join(o.stateDir, e)));
  const taken = states.filter((s) => s.owner !== undefined || (!legacy && s.hasTables));
  if (taken.length > 0) {
    const what = legacy ? '.devnet/ has no devnet id yet' : '.devnet/ is new (no devnet id)';
    throw new DevnetMismatchError(
      `${what}, but:\n${taken.map((s) => `  - ${describe(s)}`).join('\n')}\n` +
        `These databases belong to another devnet: the coordinator would report its old group key while the new signers hold no shares, and the header-watcher would stay on the old chain's tip. ${RESET_HINT}`,
    );
  }
  const id = newDevnetId();
  await withClient(databaseUrl(o.serverUrl, 'postgres'), async (c) => {
    for (const s of states) {
      if (!s.exists) await c.query(`CREATE DATABASE ${quoteIdent(s.name)}`);
      await c.query(`COMMENT ON DATABASE ${quoteIdent(s.name)} IS ${quoteLiteral(MARKER_PREFIX + id)}`);
    }
  });
  // Written last: an id file means every database carries the marker.
  fs.mkdirSync(o.stateDir, { recursive: true });
  fs.writeFileSync(path.join(o.stateDir, ID_FILE), `${id}\n`);
  return { id, created: !legacy, adopted: legacy };
}

/** Drops the devnet's databases (closing their connections first) and deletes its state folder. */
export async function resetDevnet(o: DevnetDatabases): Promise<string[]> {
  for (const name of o.databases) if (!DB_NAME.test(name)) throw new TypeError(`not a database name: ${JSON.stringify(name)}`);
  const dropped: string[] = [];
  await withClient(databaseUrl(o.serverUrl, 'postgres'), async (c) => {
    for (const name of o.databases) {
      const exists = (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount! > 0;
      if (!exists) continue;
      await c.query(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`);
      dropped.push(name);
    }
  });
  fs.rmSync(o.stateDir, { recursive: true, force: true });
  return dropped;
}

/** The devnet's databases from the stack's environment: DATABASE_URL's database and <it>_signer_<i> for each signer. */
export function devnetDatabases(env: Record<string, string | undefined>): DevnetDatabases {
  const serverUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/tapbridge';
  const main = decodeURIComponent(new URL(serverUrl).pathname.slice(1)) || 'tapbridge';
  const signers = Number(env.SIGNER_COUNT ?? '5');
  if (!Number.isInteger(signers) || signers < 1 || signers > 100) throw new TypeError(`SIGNER_COUNT must be 1..100, got ${env.SIGNER_COUNT}`);
  return {
    stateDir: env.DEVNET_STATE_DIR ?? '.devnet',
    serverUrl,
    databases: [main, ...Array.from({ length: signers }, (_, i) => `${main}_signer_${i + 1}`)],
  };
}

