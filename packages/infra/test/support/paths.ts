import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@tapbridge/testing';

export { repoRoot };
export const infraDir = path.join(repoRoot, 'infra');

/**
 * The deployable services: every folder under apps/ with a src/main.ts. Adding an app there is the one change that
 * makes these checks ask for it in the stack script, compose, Kubernetes and the Prometheus scrape config.
 */
export function serviceApps(): string[] {
  return fs
    .readdirSync(path.join(repoRoot, 'apps'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(repoRoot, 'apps', d.name, 'src', 'main.ts')))
    .map((d) => d.name)
    .sort();
}

export const readText = (relative: string): string => fs.readFileSync(path.join(repoRoot, relative), 'utf8');
