import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './paths.js';

/** Set to `1` to reuse existing builds: the build is skipped when every requested app already has dist/main.js. */
export const SKIP_BUILD_ENV = 'TAPBRIDGE_E2E_SKIP_BUILD';
// Test files run in parallel workers and would otherwise race each other writing the same dist/ folders.
const BUILD_LOCK = '/tmp/tapbridge-e2e-build.lock';
const APP_NAME = /^[a-z][a-z0-9-]*$/;

export class BuildAppsError extends Error {
  constructor(
    readonly apps: readonly string[],
    readonly output: string,
  ) {
    super(`building ${apps.join(', ')} failed:\n${output}`);
    this.name = 'BuildAppsError';
  }
}

/** Path of an app's built entry point, e.g. `apps/header-watcher/dist/main.js`. */
export function appMain(app: string): string {
  if (!APP_NAME.test(app)) throw new TypeError(`not an app name: ${JSON.stringify(app)}`);
  return path.join(repoRoot, 'apps', app, 'dist', 'main.js');
}

/** Builds the named apps (folder names under apps/) and what they import; turbo caches unchanged packages. */
export function buildApps(...apps: string[]): void {
  if (apps.length === 0) throw new TypeError('buildApps needs at least one app name');
  const mains = apps.map(appMain);
  if (process.env[SKIP_BUILD_ENV] === '1' && mains.every((m) => fs.existsSync(m))) return;
  const r = spawnSync('flock', [BUILD_LOCK, 'pnpm', 'exec', 'turbo', 'run', 'build', ...apps.map((a) => `--filter=@tapbridge/${a}`), '--output-logs=errors-only'], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (r.error) throw new BuildAppsError(apps, r.error.message);
  if (r.status !== 0) throw new BuildAppsError(apps, `${r.stdout}\n${r.stderr}`);
}
