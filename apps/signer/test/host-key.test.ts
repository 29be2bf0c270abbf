import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '@tapbridge/testing';
import { afterAll, describe, expect, it } from 'vitest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-signer-hostkey-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', 'apps/signer/src/host-key.ts'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });

describe('signer host-key command (collects SIGNER_HOST_PUBKEYS before any signer starts)', () => {
  // Three runs through tsx with scrypt: about 25 s each on the loaded 2-core machine (load 30), so not the default 60 s.
  it('creates the encrypted host key once and prints the same public key every time', { timeout: 400_000 }, () => {
    const env = { SIGNER_INDEX: '3', SIGNER_DATA_DIR: dir, SIGNER_KEY_PASSPHRASE: 'host key passphrase' };
    const first = run(env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^0[23][0-9a-f]{64}\n$/);
    expect(fs.existsSync(path.join(dir, 'host.key'))).toBe(true);
    expect(run(env).stdout).toBe(first.stdout);
    const wrong = run({ ...env, SIGNER_KEY_PASSPHRASE: 'another passphrase' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/cannot decrypt .*host\.key: wrong passphrase/);
    expect(wrong.stderr).not.toContain('another passphrase');
  });
});
