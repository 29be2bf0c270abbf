// The devnet's .devnet/ and its databases must be one devnet: the cases a new user meets (a second clone, a deleted
// .devnet/) are refused with a reason instead of starting "healthy" but broken. Real Postgres, own database names.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { claimDevnet, devnetDatabases, DevnetMismatchError, inspectDatabases, readDevnetId, resetDevnet, type DevnetDatabases } from '../src/index.js';

const SERVER = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A devnet with its own state dir and database names (tbtest_<run>_…: the run's teardown drops leftovers). */
function newDevnet(stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-devnet-id-'))): DevnetDatabases {
  const main = `tbtest_${process.env.TBTEST_RUN ?? 'adhoc'}_${randomBytes(4).toString('hex')}`;
  const url = new URL(SERVER);
  url.pathname = `/${main}`;
  const o = devnetDatabases({ DATABASE_URL: url.toString(), DEVNET_STATE_DIR: stateDir, SIGNER_COUNT: '2' });
  cleanups.push(async () => {
    await resetDevnet(o);
  });
  return o;
}

async function sql(db: string, text: string): Promise<void> {
  const url = new URL(SERVER);
  url.pathname = `/${db}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  await c.query(text);
  await c.end();
}

describe('devnet identity', () => {
  it('names the databases from DATABASE_URL and SIGNER_COUNT', () => {
    expect(devnetDatabases({}).databases).toEqual(['tapbridge', 'tapbridge_signer_1', 'tapbridge_signer_2', 'tapbridge_signer_3', 'tapbridge_signer_4', 'tapbridge_signer_5']);
    expect(devnetDatabases({}).stateDir).toBe('.devnet');
    expect(() => devnetDatabases({ SIGNER_COUNT: 'x' })).toThrow(/SIGNER_COUNT/);
  });

  it('a fresh devnet creates and marks its databases, then finds them its own on every start', async () => {
    const o = newDevnet();
    const first = await claimDevnet(o);
    expect(first).toMatchObject({ created: true, adopted: false });
    expect(readDevnetId(o.stateDir)).toBe(first.id);
    const states = await inspectDatabases(o);
    expect(states.map((s) => [s.exists, s.owner])).toEqual(o.databases.map(() => [true, first.id]));
    await sql(o.databases[0]!, 'CREATE TABLE t (x int)');
    expect(await claimDevnet(o)).toEqual({ id: first.id, created: false, adopted: false });
  });

  it('refuses a deleted .devnet/ whose databases still hold the old devnet', async () => {
    const o = newDevnet();
    const { id } = await claimDevnet(o);
    await sql(o.databases[0]!, 'CREATE TABLE coordinator_state (group_key text)');
    fs.rmSync(o.stateDir, { recursive: true });
    const err = await claimDevnet(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevnetMismatchError);
    expect((err as Error).message).toContain(`.devnet/ is new (no devnet id)`);
    expect((err as Error).message).toContain(`"${o.databases[0]}" belongs to devnet ${id}`);
    expect((err as Error).message).toContain('scripts/stack.sh reset');
    // Refusing changed nothing: no id written, the old marker kept.
    expect(readDevnetId(o.stateDir)).toBeUndefined();
    expect((await inspectDatabases(o))[0]!.owner).toBe(id);
  });

  it('refuses a second checkout on the databases of the first', async () => {
    const first = newDevnet();
    const { id } = await claimDevnet(first);
    const second: DevnetDatabases = { ...first, stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tb-devnet-id-2-')) };
    cleanups.push(async () => fs.rmSync(second.stateDir, { recursive: true, force: true }));
    await expect(claimDevnet(second)).rejects.toThrow(new RegExp(`belongs to devnet ${id}`));
  });

  it('refuses databases of a devnet without an id (data, no marker) for a new .devnet/', async () => {
    const o = newDevnet();
    await sql('postgres', `CREATE DATABASE "${o.databases[1]}"`);
    await sql(o.databases[1]!, 'CREATE TABLE key_shares (x int)');
    await expect(claimDevnet(o)).rejects.toThrow(/holds data of a devnet without an id/);
  });

  it('refuses when the .devnet/ id and a database marker differ, or a database is gone', async () => {
    const o = newDevnet();
    await claimDevnet(o);
    await sql('postgres', `COMMENT ON DATABASE "${o.databases[2]}" IS 'tapbridge-devnet:dn-000000000000'`);
    await expect(claimDevnet(o)).rejects.toThrow(/belongs to devnet dn-000000000000/);
    await sql('postgres', `DROP DATABASE "${o.databases[2]}"`);
    await expect(claimDevnet(o)).rejects.toThrow(new RegExp(`"${o.databases[2]}" does not exist`));
  });

  it('adopts unmarked databases for a .devnet/ from before devnet ids', async () => {
    const o = newDevnet();
    fs.mkdirSync(path.join(o.stateDir, 'chain'), { recursive: true });
    await sql('postgres', `CREATE DATABASE "${o.databases[0]}"`);
    await sql(o.databases[0]!, 'CREATE TABLE t (x int)');
    const r = await claimDevnet(o);
    expect(r).toMatchObject({ created: false, adopted: true });
    expect((await inspectDatabases(o)).every((s) => s.owner === r.id)).toBe(true);
  });

  it('refuses a malformed id file', async () => {
    const o = newDevnet();
    fs.writeFileSync(path.join(o.stateDir, 'devnet-id'), 'hello\n');
    await expect(claimDevnet(o)).rejects.toThrow(/does not hold a devnet id/);
  });

  it('reset drops every database of the devnet (even with open connections) and deletes the state folder', async () => {
    const o = newDevnet();
    await claimDevnet(o);
    const url = new URL(SERVER);
    url.pathname = `/${o.databases[1]}`;
    const open = new pg.Client({ connectionString: url.toString() });
    open.on('error', () => undefined);
    await open.connect();
    expect(await resetDevnet(o)).toEqual([...o.databases]);
    await open.end().catch(() => undefined);
    expect(fs.existsSync(o.stateDir)).toBe(false);
    expect((await inspectDatabases(o)).some((s) => s.exists)).toBe(false);
    // And a new devnet starts clean on the same names.
    expect(await claimDevnet(o)).toMatchObject({ created: true });
  });
});
