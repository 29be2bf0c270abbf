import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appMain, buildApps, repoRoot, ServiceProcess, ServiceStartError } from '../src/index.js';

describe('appMain', () => {
  it('names the built entry point under apps/', () => {
    expect(appMain('header-watcher')).toBe(path.join(repoRoot, 'apps/header-watcher/dist/main.js'));
  });

  it('refuses names that would leave apps/', () => {
    expect(() => appMain('../packages/cli')).toThrow(TypeError);
    expect(() => appMain('')).toThrow(TypeError);
  });
});

describe('buildApps', () => {
  it('needs at least one app', () => {
    expect(() => buildApps()).toThrow(/at least one app/);
  });
});

describe('ServiceProcess.start', () => {
  it('rejects with the exit code and what the process printed when it exits before it is ready', async () => {
    const missing = 'no-such-app-for-testing';
    expect(fs.existsSync(appMain(missing))).toBe(false);
    const err = await ServiceProcess.start({ app: missing, readyTimeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    const startError = err as ServiceStartError;
    expect(startError.message).toMatch(/^no-such-app-for-testing exited with 1 before it was ready/);
    // Node's own complaint about the missing entry point reaches the caller.
    expect(startError.stderr).toContain('Cannot find module');
    expect(startError.output).toContain(appMain(missing));
  });

  it('refuses a port outside the TCP range', async () => {
    await expect(ServiceProcess.start({ app: 'header-watcher', port: 70_000 })).rejects.toThrow(RangeError);
  });
});
