// `tapbridge withdrawal status` and `tapbridge reserves` read the public API (api-gateway /v1) through
// @tapbridge/client: the built gateway runs here on real Postgres and NATS, with responders playing the
// sweep-coordinator on its rpc.sweeps.* subjects. --api and $TAPBRIDGE_API_URL choose the gateway.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { connectMessaging, deleteStreams, RemoteError, serveRequests, type Messaging } from '@tapbridge/messaging';
import { buildApps, createTestDatabase, deleteRedisKeys, freePort, ServiceProcess, uniquePrefix, type TestDatabase } from '@tapbridge/testing';
import { apiUrl } from '../src/commands/public-api.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=@tapbridge/source', '--no-warnings', '--import', 'tsx', 'packages/cli/src/main.ts', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, TAPBRIDGE_API_URL: '', ...env } }, (err, stdout, stderr) =>
      resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const WITHDRAWAL = {
  id: '12', sender: '0x8ba1f109551bd432803012645ac136ddd64dba72', scriptPubKey: '0014' + '11'.repeat(20), amountSats: '50000', maxFeeSats: '1000', status: 'paid', confirmations: 3,
  txid: 'ab'.repeat(32), vout: 1, feeSats: '300', amountReceivedSats: '49700', waitingBlocks: 0, stuck: false, history: [{ status: 'final', detail: 'final on the L2' }],
};
const UTXO = { kind: 'custody', txid: 'cd'.repeat(32), vout: 0, amountSats: '150000', blockHash: 'ef'.repeat(32), blockHeight: 140, merkleProof: '0100' };

let db: TestDatabase;
let messaging: Messaging;
let gateway: ServiceProcess;

beforeAll(async () => {
  buildApps('api-gateway');
  db = await createTestDatabase();
  cleanups.push(() => db.drop());
  const prefix = uniquePrefix('clip');
  messaging = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix });
  cleanups.push(async () => {
    await deleteStreams(messaging.jsm, messaging.naming);
    await messaging.close();
    await deleteRedisKeys(`${prefix}:*`);
  });
  const subs = [
    serveRequests(messaging, 'sweeps.withdrawal.get', z.object({ id: z.string() }), async ({ id }) => {
      if (id !== WITHDRAWAL.id) throw new RemoteError('not_found', `no withdrawal ${id}`);
      return WITHDRAWAL;
    }),
    serveRequests(messaging, 'sweeps.reserves.get', z.object({}).passthrough(), async () => ({
      custody: { totalSats: '150000', utxos: [UTXO] }, l2SupplySats: '150000', pendingWithdrawalsSats: '0', feesPaidSats: '0', discrepancySats: '0', invariantHolds: true,
      invariant: 'custody = supply + pending - fees', checkedAt: '2026-12-03T12:00:00.000Z',
    })),
  ];
  cleanups.push(async () => subs.forEach((s) => s.unsubscribe()));
  gateway = await ServiceProcess.start({ app: 'api-gateway', env: { DATABASE_URL: db.url, STREAM_PREFIX: prefix } });
  cleanups.push(() => gateway.kill('SIGTERM'));
}, 300_000);

// Each CLI run starts tsx on the sources: tens of seconds on a loaded 2-core machine.
const CLI_RUNS = 300_000;

describe('CLI commands over the public API', () => {
  it('withdrawal status prints the gateway\u2019s view (sender in EIP-55 form), chosen by --api or $TAPBRIDGE_API_URL', async () => {
    const byOption = await cli(['withdrawal', 'status', '12', '--api', `${gateway.url}/`]);
    expect(byOption.stderr).toBe('');
    expect(byOption.status).toBe(0);
    expect(JSON.parse(byOption.stdout)).toMatchObject({ id: '12', status: 'paid', amountReceivedSats: '49700', sender: '0x8ba1f109551bD432803012645Ac136ddd64DBA72' });
    const byEnv = await cli(['withdrawal', 'status', '12'], { TAPBRIDGE_API_URL: gateway.url });
    expect(JSON.parse(byEnv.stdout)).toEqual(JSON.parse(byOption.stdout));
  }, CLI_RUNS);

  it('names the problem of an error answer and an unreachable gateway, exit 1', async () => {
    const missing = await cli(['withdrawal', 'status', '99', '--api', gateway.url]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('error: /v1/withdrawals/99: 404 no withdrawal 99\n');
    const closed = await freePort(); // nothing listens there
    const down = await cli(['withdrawal', 'status', '12', '--api', `http://127.0.0.1:${closed}`]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^error: cannot reach the api-gateway at http://127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED`));
  }, CLI_RUNS);

  it('reserves prints the proof of reserves with each custody UTXO\u2019s merkle proof', async () => {
    const r = await cli(['reserves', '--api', gateway.url]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ custodySats: '150000', custodyUtxos: 1, utxos: [UTXO], invariantHolds: true });
  }, CLI_RUNS);

  it('defaults to the devnet stack\u2019s gateway on :4000', () => {
    expect(apiUrl({}, {})).toBe('http://127.0.0.1:4000');
    expect(apiUrl({}, { TAPBRIDGE_API_URL: 'http://gw:8080//' })).toBe('http://gw:8080');
    expect(apiUrl({ api: 'http://a' }, { TAPBRIDGE_API_URL: 'http://b' })).toBe('http://a');
  });
});
