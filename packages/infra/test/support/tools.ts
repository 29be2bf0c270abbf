import { spawnSync } from 'node:child_process';

/**
 * Path of a command-line tool, or undefined with a printed reason. CI (CI=true) installs the tools (.ci/run), so
 * there a missing tool fails instead of skipping.
 */
export function requireTool(name: string, install: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = r.status === 0 ? r.stdout.trim() : undefined;
  if (found) return found;
  if (process.env.CI === 'true') throw new Error(`${name} is not installed (${install}); CI must have it`);
  console.warn(`[skip] ${name} is not installed: its checks are skipped (${install})`);
  return undefined;
}
