// Keeps packages/messaging/src/permissions.ts in step with the code: every request/reply subject an app serves or
// asks (read from its sources), and every stream it consumes, must be granted to that app's identity.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@tapbridge/testing';
import { roleOf, SERVICE_ROLES, signerRole, type ServiceRole } from '../src/index.js';

/** NATS subject matching: `*` one token, `>` the rest. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'generated' || name === 'node_modules') return [];
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [readFileSync(full, 'utf8')] : [];
  });
}

const apps = readdirSync(path.join(repoRoot, 'apps')).filter((a) => a === 'signer' || a in SERVICE_ROLES);

describe.each(apps)('%s', (app) => {
  const code = sources(path.join(repoRoot, 'apps', app, 'src')).join('\n');
  const role: ServiceRole = app === 'signer' ? signerRole(1) : roleOf(app)!;
  const granted = (list: readonly string[], subject: string) => list.some((p) => matches(p, subject));

  it('is granted the rpc subjects it serves', () => {
    const block = /NATS_API_SUBJECTS\s*=\s*\{([^}]*)\}/.exec(code)?.[1] ?? '';
    const served = [...block.matchAll(/'([a-z0-9_.]+)'/g)].map((m) => `rpc.${m[1]}`);
    // The scan must find what it checks: an app granted rpc subjects declares them in NATS_API_SUBJECTS.
    if (role.serves.some((s) => s.startsWith('rpc.'))) expect(served.length).toBeGreaterThan(0);
    for (const subject of served) expect(granted(role.serves, subject), subject).toBe(true);
  });

  it('is granted the rpc subjects it asks', () => {
    for (const [, subject] of code.matchAll(/\brequest\([^,()]+,\s*'([a-z0-9_.]+)'/g)) expect(granted(role.requests, `rpc.${subject}`), `rpc.${subject}`).toBe(true);
  });

  it('is granted the streams it consumes', () => {
    for (const [, stream] of code.matchAll(/stream:\s*'([A-Z]+)'/g)) expect(role.consumes.map((c) => c.stream), stream).toContain(stream);
  });
});
