// `tapbridge signing …`: talk to the signing-coordinator's REST API (custody address, signature requests, signers)
// and check a BIP340 signature locally.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { schnorrVerify } from '@tapbridge/frost';
import { run } from './run.js';

const HEX = /^(?:[0-9a-f]{2})+$/;

interface SignatureView {
  id: string;
  status: 'pending' | 'signed' | 'failed';
  signature: string | null;
  signers: number[] | null;
  outputKey: string;
  message: string;
  error: string | null;
  attempt: number;
  refusals: Array<{ signer: number; reason: string }>;
  misbehaviour: Array<{ signer: number; detail: string }>;
}

function coordinatorUrl(opts: { coordinator?: string }): string {
  return (opts.coordinator ?? process.env.SIGNING_COORDINATOR_URL ?? 'http://127.0.0.1:4003').replace(/\/+$/, '');
}

function hexArg(name: string, value: string, lengths: number[]): string {
  const v = value.toLowerCase();
  if (!HEX.test(v) || !lengths.includes(v.length / 2)) throw new Error(`--${name} must be ${lengths.join(' or ')} bytes of hex`);
  return v;
}

/** The API key for the guarded routes (POST /signatures, GET /signatures/:id): --api-key-file, $TAPBRIDGE_API_KEY or $TAPBRIDGE_API_KEY_FILE (never a flag value: argv is public). */
function apiKey(opts: { apiKeyFile?: string }): string | undefined {
  const file = opts.apiKeyFile ?? process.env.TAPBRIDGE_API_KEY_FILE;
  if (file) return readFileSync(file, 'utf8').trim();
  return process.env.TAPBRIDGE_API_KEY?.trim() || undefined;
}

async function call<T>(base: string, method: string, path: string, body?: unknown, key?: string): Promise<T> {
  let res: Response;
  try {
    const headers = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key ? { 'x-api-key': key } : {}) };
    res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    const reason = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message;
    throw new Error(`cannot reach the signing-coordinator at ${base}: ${reason}`, { cause: err });
  }
  const text = await res.text();
  const parsed = (text ? JSON.parse(text) : null) as unknown;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${(parsed as { message?: string } | null)?.message ?? text}`);
  return parsed as T;
}


function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function registerSigning(program: Command): void {
  const signing = program.command('signing').description('threshold signing: custody address, signature requests, signers (signing-coordinator REST API)');
  const withCoordinator = (c: Command) => c.option('--coordinator <url>', 'signing-coordinator base URL (default $SIGNING_COORDINATOR_URL or http://127.0.0.1:4003)');

  withCoordinator(signing.command('custody').description('the custody Taproot output: group key, output key, address')).action((opts: { coordinator?: string }) =>
    run(async () => print(await call(coordinatorUrl(opts), 'GET', '/custody'))),
  );

  withCoordinator(signing.command('signers').description('every signer: host key, liveness, misbehaviour count')).action((opts: { coordinator?: string }) =>
    run(async () => print(await call(coordinatorUrl(opts), 'GET', '/signers'))),
  );

  withCoordinator(
    signing
      .command('status')
      .description('a signature request: status, signature, signers, refusals')
      .argument('<id>', 'request id')
      .option('--api-key-file <file>', 'file holding an API key with scope signatures:create (default $TAPBRIDGE_API_KEY_FILE, or the key in $TAPBRIDGE_API_KEY)'),
  ).action((id: string, opts: { coordinator?: string; apiKeyFile?: string }) =>
    run(async () => print(await call(coordinatorUrl(opts), 'GET', `/signatures/${encodeURIComponent(id)}`, undefined, apiKey(opts)))),
  );

  withCoordinator(
    signing
      .command('sign')
      .description('request a threshold signature and wait for it (exit 1 if it fails)')
      .requiredOption('--message <hex>', '32-byte message, or a 16-byte heartbeat (ff×8 ‖ nonce)')
      .requiredOption('--purpose <purpose>', 'selects each signer\'s policy: heartbeat, or message on the devnet')
      .option('--merkle-root <hex>', 'sign for the Taproot output with this script-tree merkle root (default: the custody tweak)')
      .option('--key-path-only', 'sign for the key-path-only Taproot output of the group key')
      .option('--timeout-ms <ms>', 'how long to wait', '60000')
      .option('--api-key-file <file>', 'file holding an API key with scope signatures:create (default $TAPBRIDGE_API_KEY_FILE, or the key in $TAPBRIDGE_API_KEY)')
      .option('--no-wait', 'print the request id and return'),
  ).action((opts: { coordinator?: string; message: string; purpose: string; merkleRoot?: string; keyPathOnly?: boolean; timeoutMs: string; wait: boolean; apiKeyFile?: string }) =>
    run(async () => {
      const base = coordinatorUrl(opts);
      const message = hexArg('message', opts.message, [16, 32]);
      if (opts.merkleRoot && opts.keyPathOnly) throw new Error('give at most one of --merkle-root and --key-path-only');
      const tweak = opts.merkleRoot ? { kind: 'merkle-root', merkleRoot: hexArg('merkle-root', opts.merkleRoot, [32]) } : opts.keyPathOnly ? { kind: 'key-path-only' } : undefined;
      const timeoutMs = Number(opts.timeoutMs);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error('--timeout-ms must be a positive integer');
      const created = await call<{ id: string }>(base, 'POST', '/signatures', { message, purpose: opts.purpose, ...(tweak ? { tweak } : {}) }, apiKey(opts));
      if (!opts.wait) {
        print(created);
        return;
      }
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const view = await call<SignatureView>(base, 'GET', `/signatures/${created.id}`, undefined, apiKey(opts));
        if (view.status !== 'pending') {
          print({ id: view.id, status: view.status, signature: view.signature, signers: view.signers, outputKey: view.outputKey, message: view.message, attempt: view.attempt, error: view.error, refusals: view.refusals, misbehaviour: view.misbehaviour });
          if (view.status === 'failed') process.exitCode = 1;
          return;
        }
        if (Date.now() > deadline) throw new Error(`request ${created.id} still pending after ${timeoutMs} ms (check: tapbridge signing status ${created.id})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }),
  );

  signing
    .command('verify')
    .description('check a BIP340 signature locally (exit 1 if invalid)')
    .requiredOption('--message <hex>', 'the signed message')
    .requiredOption('--signature <hex>', '64-byte BIP340 signature')
    .requiredOption('--key <hex>', '32-byte x-only public key (the output key)')
    .action((opts: { message: string; signature: string; key: string }) =>
      run(() => {
        const message = Buffer.from(hexArg('message', opts.message, [16, 32]), 'hex');
        const signature = Buffer.from(hexArg('signature', opts.signature, [64]), 'hex');
        const key = Buffer.from(hexArg('key', opts.key, [32]), 'hex');
        const valid = schnorrVerify(message, key, signature);
        print({ valid });
        if (!valid) process.exitCode = 1;
      }),
    );
}
