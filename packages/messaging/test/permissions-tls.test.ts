// TLS to NATS: a private nats-server with the rendered configuration and a certificate from a throwaway CA; a
// service connects with NATS_TLS_CA (and its password), and is refused without the CA or without TLS.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, PrivateNatsServer, uniquePrefix } from '@tapbridge/testing';
import { connectMessaging, natsClientOptions, renderNatsServerConfig } from '../src/index.js';

const haveOpenssl = onPath('openssl');
const dir = mkdtempSync(path.join(os.tmpdir(), 'tb-nats-tls-'));
const file = (name: string) => path.join(dir, name);
const password = randomBytes(18).toString('base64url');
const prefix = uniquePrefix('tls');
let server: PrivateNatsServer;

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

beforeAll(async () => {
  if (!haveOpenssl) return;
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=tapbridge test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('ext.cnf'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-out', file('server.pem'), '-extfile', file('ext.cnf'));
  server = await PrivateNatsServer.start({
    config: ({ storeDir }) =>
      renderNatsServerConfig({
        prefixes: [prefix], signerCount: 1, jetstreamStoreDir: storeDir, secret: () => ({ password }),
        tls: { cert: file('server.pem'), key: file('server.key') },
      }),
  });
}, 30_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!haveOpenssl)('NATS over TLS (needs openssl on PATH)', () => {
  it('connects with NATS_TLS_CA and refuses a client that does not trust the CA', async () => {
    const m = await connectMessaging({ url: `tls://127.0.0.1:${server.port}`, prefix, maxReconnectAttempts: 0, ...natsClientOptions('header-watcher', { NATS_PASSWORD: password, NATS_TLS_CA: file('ca.pem') }) });
    expect(m.nc.info?.tls_required).toBe(true);
    await m.close();
    await expect(
      connectMessaging({ url: `tls://127.0.0.1:${server.port}`, prefix, maxReconnectAttempts: 0, ...natsClientOptions('header-watcher', { NATS_PASSWORD: password }) }),
    ).rejects.toThrow();
  }, 30_000);
});
