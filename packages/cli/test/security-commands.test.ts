// `tapbridge apikey create|list|revoke` against a real database, and `tapbridge nats config` checked by nats-server.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_IDENTITY, stackIdentities } from '@tapbridge/messaging';
import { verifyApiKey, withApiKeyDatabase } from '@tapbridge/runtime';
import { createTestDatabase, onPath, repoRoot, type TestDatabase } from '@tapbridge/testing';

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let db: TestDatabase;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-seccli-'));
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tapbridge apikey', () => {
  it('creates a key that verifies, lists it without the secret, and revokes it', async () => {
    const env = { DATABASE_URL: db.url };
    const created = cli(['apikey', 'create', '--name', 'ops', '--scope', 'signatures:create', '--scope', 'config:write'], env);
    expect(created.status, created.stderr).toBe(0);
    const info = JSON.parse(created.stdout) as { id: string; key: string; scopes: string[] };
    expect(info.scopes).toEqual(['signatures:create', 'config:write']);
    expect((await withApiKeyDatabase(db.url, (d) => verifyApiKey(d, info.key)))?.id).toBe(info.id);

    const toFile = cli(['apikey', 'create', '--name', 'devnet admin', '--scope', '*', '--out', path.join(dir, 'admin.apikey')], env);
    expect(toFile.status, toFile.stderr).toBe(0);
    expect(toFile.stdout).not.toMatch(/tbk_/);
    expect(fs.statSync(path.join(dir, 'admin.apikey')).mode & 0o777).toBe(0o600);

    const listed = cli(['apikey', 'list'], env);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(info.key.split('_')[2]);
    expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((k) => k.name)).toEqual(['ops', 'devnet admin']);

    expect(cli(['apikey', 'revoke', info.id], env).status).toBe(0);
    expect(await withApiKeyDatabase(db.url, (d) => verifyApiKey(d, info.key))).toBeUndefined();
    expect(cli(['apikey', 'revoke', info.id], env).status).toBe(1);
    const bad = cli(['apikey', 'create', '--name', 'x', '--scope', 'Not A Scope'], env);
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringMatching(/invalid scope/)]);
  }, 120_000);
});

const haveNats = onPath('nats-server');

describe.skipIf(!haveNats)('tapbridge nats config (needs nats-server on PATH)', () => {
  it('renders a configuration nats-server accepts, with devnet passwords generated once and kept', () => {
    const users = path.join(dir, 'users');
    const out = path.join(dir, 'nats.conf');
    const args = ['nats', 'config', '--signers', '3', '--prefix', 'tb', '--passwords-dir', users, '--store-dir', path.join(dir, 'js'), '--port', '14222', '--out', out];
    const first = cli(args);
    expect(first.status, first.stderr).toBe(0);
    const password = fs.readFileSync(path.join(users, 'signer-2.password'), 'utf8');
    expect(fs.statSync(path.join(users, 'signer-2.password')).mode & 0o777).toBe(0o600);
    expect(cli(args).status).toBe(0);
    expect(fs.readFileSync(path.join(users, 'signer-2.password'), 'utf8')).toBe(password);
    // One password per identity of the stack (every service of permissions.ts, three signers) plus the admin.
    expect(fs.readdirSync(users).sort()).toEqual([ADMIN_IDENTITY, ...stackIdentities(3)].map((u) => `${u}.password`).sort());
    expect(fs.readdirSync(users)).toEqual(expect.arrayContaining(['header-watcher.password', 'signer-3.password', 'admin.password']));
    const check = spawnSync('nats-server', ['-c', out, '-t'], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  }, 120_000);

  it('refers to passwords in the server\'s environment by default, so the file holds no secret', () => {
    const r = cli(['nats', 'config', '--signers', '1']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('password: $NATS_PASSWORD_SIGNER_1');
    expect(r.stdout).toContain('password: $NATS_PASSWORD_HEADER_WATCHER');
  }, 60_000);
});
