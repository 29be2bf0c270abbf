// `pnpm bench`: runs every benchmark script (packages/*/bench/*.bench.ts, apps/*/bench/*.bench.ts) one after
// another, each in its own process, and prints the machine first. Pass a substring to run only matching ones.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const filter = process.argv[2];
const benches: string[] = [];
for (const group of ['packages', 'apps']) {
  for (const pkg of readdirSync(path.join(root, group))) {
    const dir = path.join(root, group, pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.bench.ts')) benches.push(path.join(dir, f));
  }
}
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`);
let failed = 0;
for (const file of benches.filter((b) => !filter || b.includes(filter))) {
  console.log(`\n=== ${path.relative(root, file)}`);
  const r = spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
