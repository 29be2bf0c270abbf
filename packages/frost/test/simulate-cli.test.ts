import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { taprootOutput } from '../src/index.js';

const REPO = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const MAIN = path.join(REPO, 'packages/cli/src/main.ts');

function cli(args: string[]): { stdout: string; status: number; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, ['--conditions=@tapbridge/source', '--no-warnings', '--import', 'tsx', MAIN, ...args], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { stdout, status: 0, stderr: '' };
  } catch (e) {
    const err = e as { stdout: string; stderr: string; status: number };
    return { stdout: err.stdout, status: err.status, stderr: err.stderr };
  }
}

describe('tapbridge frost simulate (spawned)', () => {
  const message = 'aa'.repeat(32);

  it('prints a signature that verifies under the key-path-only output key', () => {
    const { stdout, status } = cli(['frost', 'simulate', '--n', '5', '--t', '3', '--message', message]);
    expect(status).toBe(0);
    const out = JSON.parse(stdout) as { groupKey: string; outputKey: string; signature: string; signers: number[] };
    expect(out.signers).toHaveLength(3);
    const expected = taprootOutput(Buffer.from(out.groupKey, 'hex'));
    expect(out.outputKey).toBe(Buffer.from(expected.outputKey).toString('hex'));
    expect(schnorr.verify(Buffer.from(out.signature, 'hex'), Buffer.from(message, 'hex'), Buffer.from(out.outputKey, 'hex'))).toBe(true);
  }, 60_000);

  it('commits to the given merkle root', () => {
    const root = '5b'.repeat(32);
    const { stdout, status } = cli(['frost', 'simulate', '--n', '3', '--t', '2', '--message', message, '--merkle-root', root]);
    expect(status).toBe(0);
    const out = JSON.parse(stdout) as { groupKey: string; outputKey: string; signature: string };
    expect(out.outputKey).toBe(Buffer.from(taprootOutput(Buffer.from(out.groupKey, 'hex'), Buffer.from(root, 'hex')).outputKey).toString('hex'));
    expect(schnorr.verify(Buffer.from(out.signature, 'hex'), Buffer.from(message, 'hex'), Buffer.from(out.outputKey, 'hex'))).toBe(true);
  }, 60_000);

  it('rejects a threshold above n and a message that is not 32 bytes', () => {
    expect(cli(['frost', 'simulate', '--n', '3', '--t', '4', '--message', message]).status).toBe(1);
    const bad = cli(['frost', 'simulate', '--n', '3', '--t', '2', '--message', 'abcd']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--message must be 32 bytes');
  }, 60_000);
});
