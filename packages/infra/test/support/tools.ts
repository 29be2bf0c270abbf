import { spawnSync } from 'node:child_process';

/**
 * Path of a command-line tool, or undefined with a printed reason. A tool CI installs (.ci/run: `ciInstalls`) fails
 * there instead of skipping; one no allowed registry has (kubectl) can only be skipped.
 */
export function requireTool(name: string, install: string, ciInstalls = true): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = r.status === 0 ? r.stdout.trim() : undefined;
  if (found) return found;
  if (ciInstalls && process.env.CI === 'true') throw new Error(`${name} is not installed (${install}); CI must have it`);
  console.warn(`[skip] ${name} is not installed: its checks are skipped (${install})`);
  return undefined;
}
