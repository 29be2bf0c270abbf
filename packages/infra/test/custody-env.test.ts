// infra/docker/custody-env.mjs (compose's deposit-indexer reads the DKG's custody with it): waits for the
// coordinator's /custody, prints shell exports, and refuses an answer that is not a key and an address.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { infraDir } from './support/paths.js';

const script = path.join(infraDir, 'docker', 'custody-env.mjs');
let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A coordinator that answers 404 (no DKG yet) `notReadyFor` times, then `body`. */
async function coordinator(body: unknown, notReadyFor = 0): Promise<string> {
  let asked = 0;
  server = http.createServer((_req, res) => {
    if (asked++ < notReadyFor) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/custody`;
}

function run(url: string, waitS = '60'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, url], { env: { PATH: process.env.PATH ?? '', CUSTODY_WAIT_S: waitS } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('custody-env.mjs', () => {
  it('prints the custody once the DKG has made it', async () => {
    const url = await coordinator({ groupKey: 'c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5', address: 'bcrt1pexample', outputKey: 'x' }, 1);
    const r = await run(url);
    expect(r).toMatchObject({ code: 0, stdout: 'export CUSTODY_GROUP_KEY=c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5 CUSTODY_ADDRESS=bcrt1pexample\n' });
  });

  it('refuses an answer a shell should not eval', async () => {
    const r = await run(await coordinator({ groupKey: '$(reboot)', address: 'x' }));
    expect(r.code).toBe(65);
    expect(r.stdout).toBe('');
  });

  it('gives up after CUSTODY_WAIT_S with the reason', async () => {
    const r = await run(await coordinator({}, 1_000_000), '0');
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('has the DKG run?');
  });
});
