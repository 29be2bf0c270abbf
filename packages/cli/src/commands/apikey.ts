// `tapbridge apikey create|list|revoke`: API keys for the services' state-changing endpoints (packages/runtime
// api-keys). Keys live hashed in the tapbridge_auth schema of DATABASE_URL; a new key is shown (or written) once.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey, withApiKeyDatabase } from '@tapbridge/runtime';
import { run } from './run.js';

const databaseUrl = () => process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/tapbridge';

const withPool = <T>(fn: Parameters<typeof withApiKeyDatabase<T>>[1]) => withApiKeyDatabase(databaseUrl(), fn);


function print(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

export function registerApiKey(program: Command): void {
  const apikey = program
    .command('apikey')
    .description(`API keys for state-changing endpoints (stored hashed in DATABASE_URL). Scopes: ${Object.keys(API_KEY_SCOPES).join(', ')}`);

  apikey
    .command('create')
    .description('create a key; the key is printed (or written to --out) once and never stored')
    .requiredOption('--name <name>', 'who or what uses it (e.g. ops, sweep-coordinator)')
    .requiredOption('--scope <scope...>', 'what it may do, e.g. signatures:create (repeatable; * = everything)')
    .option('--expires-days <n>', 'expire after this many days')
    .option('--out <file>', 'write the key to this file (mode 600) instead of printing it')
    .action((opts: { name: string; scope: string[]; expiresDays?: string; out?: string }) =>
      run(async () => {
        let expiresAt: Date | undefined;
        if (opts.expiresDays !== undefined) {
          const days = Number(opts.expiresDays);
          if (!Number.isInteger(days) || days <= 0) throw new Error('--expires-days must be a positive whole number');
          expiresAt = new Date(Date.now() + days * 86_400_000);
        }
        const { key, info } = await withPool((pool) => createApiKey(pool, { name: opts.name, scopes: opts.scope, ...(expiresAt ? { expiresAt } : {}) }));
        if (opts.out) {
          writeFileSync(opts.out, `${key}\n`, { mode: 0o600, flag: 'wx' });
          print({ ...info, keyFile: opts.out });
        } else print({ ...info, key });
      }),
    );

  apikey
    .command('list')
    .description('every key: id, name, scopes, created, expires, revoked, last used (never the key)')
    .action(() => run(async () => print(await withPool((pool) => listApiKeys(pool)))));

  apikey
    .command('revoke')
    .description('revoke a key by id (the part after tbk_); it stops working at once')
    .argument('<id>', 'key id')
    .action((id: string) =>
      run(async () => {
        if (!(await withPool((pool) => revokeApiKey(pool, id)))) throw new Error(`no live key ${id}`);
        print({ id, revoked: true });
      }),
    );
}
