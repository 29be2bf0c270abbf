// The watcher's memory at mainnet size: 900,000 headers (MEMORY_BENCH_HEADERS) synced by HeaderSync into the
// PostgresHeaderStore, in a child process whose peak RSS (VmHWM) is reported. The headers are regtest headers mined
// here (proof of work at regtest's powLimit, bits by regtest's rules, 1 s apart so they stay behind the clock),
// written to a temporary file; the child reads each batch from that file on demand, so the chain's bytes are not
// counted in its memory. The child runs the watcher's sync path (light-client + store + pg), not the NestJS/NATS
// shell around it, and under tsx (which adds its own tens of MB). Reference: the same child's RSS before syncing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { headerHashHex, networkParams } from '@tapbridge/bitcoin';
import { migrate, createTestDatabase } from '@tapbridge/db';
import { HeaderSync, type HeaderSource } from '@tapbridge/light-client';
import { genesisParent, mineHeaders, parentOf } from '@tapbridge/light-client/testing';
import { withTransaction } from '@tapbridge/messaging';
import { PostgresHeaderStore } from '../src/header-store.js';

const COUNT = Number(process.env.MEMORY_BENCH_HEADERS ?? 900_000);
const BATCH = Number(process.env.SYNC_BATCH_SIZE ?? 2_000);
const SCHEMA = 'header_watcher';
const load = () => `load ${os.loadavg()[0]!.toFixed(1)}`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Peak and current resident set of this process, from /proc (Linux); RSS from Node elsewhere. */
function residentSet(): { peak: number; now: number } {
  try {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { peak: kb('VmHWM'), now: kb('VmRSS') };
  } catch {
    const rss = process.memoryUsage().rss;
    return { peak: rss, now: rss };
  }
}

/** Headers read from the file at 80 bytes per height (height h at offset (h-1)·80). */
function fileSource(file: string, count: number): HeaderSource {
  const fd = fs.openSync(file, 'r');
  const read = (from: number, n: number): Buffer => {
    const buf = Buffer.alloc(n * 80);
    fs.readSync(fd, buf, 0, buf.length, (from - 1) * 80);
    return buf;
  };
  const header = (h: number) => (h === 0 ? Buffer.from(networkParams('regtest').genesisHeader, 'hex') : read(h, 1));
  const tip = { height: count, hash: headerHashHex(read(count, 1)) };
  return {
    name: 'file',
    getTip: async () => tip,
    getBlockHash: async (h) => headerHashHex(header(h)),
    getHeader: async () => {
      throw new Error('not used: getHeaderRange serves catch-up');
    },
    getHeaderRange: async (from, n) => {
      const buf = read(from, n);
      return Array.from({ length: n }, (_, i) => buf.subarray(i * 80, i * 80 + 80));
    },
  };
}

async function child(file: string): Promise<void> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  try {
    await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
    const store = new PostgresHeaderStore({ pool, schema: SCHEMA, network: 'regtest', transaction: (fn) => withTransaction(pool, fn) });
    const before = residentSet();
    const sync = await HeaderSync.open({ network: 'regtest', store, sources: [fileSource(file, COUNT)], batchSize: BATCH });
    const start = performance.now();
    let maxHeap = 0;
    const sampler = setInterval(() => (maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed)), 500);
    while (sync.tip.height < COUNT) if ((await sync.syncOnce()).accepted === 0) throw new Error(`stuck at ${sync.tip.height}`);
    clearInterval(sampler);
    const seconds = (performance.now() - start) / 1000;
    const after = residentSet();
    process.send!({ before: before.now, peak: after.peak, end: after.now, maxHeap, seconds, load: load() });
  } finally {
    await pool.end();
    await db.drop();
  }
}

async function parent(): Promise<void> {
  const cpus = os.cpus();
  console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${load()}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-hw-mem-'));
  const file = path.join(dir, 'headers.bin');
  try {
    const t = performance.now();
    const fd = fs.openSync(file, 'w');
    const params = networkParams('regtest');
    let parent = genesisParent('regtest');
    for (let done = 0; done < COUNT; done += 10_000) {
      const raws = mineHeaders(params, parent, Math.min(10_000, COUNT - done), { spacing: 1 });
      fs.writeSync(fd, Buffer.concat(raws));
      parent = parentOf(raws[raws.length - 1]!);
    }
    fs.closeSync(fd);
    console.log(`mined ${fmt(COUNT)} regtest headers in ${((performance.now() - t) / 1000).toFixed(1)} s (not measured below)`);
    const report = await new Promise<Record<string, number | string>>((resolve, reject) => {
      const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
        env: { ...process.env, MEMORY_BENCH_CHILD: file },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      let got: Record<string, number | string> | undefined;
      proc.on('message', (m) => (got = m as Record<string, number | string>));
      proc.on('error', reject);
      proc.on('exit', (code) => (got && code === 0 ? resolve(got) : reject(new Error(`child exited with ${code}`))));
    });
    console.log(
      `watcher sync path, ${fmt(COUNT)} headers into Postgres (batch ${BATCH}, default retainDepth 10,000): peak RSS ${mib(report.peak as number)} ` +
        `(target ≤ 300 MiB), ${mib(report.end as number)} at the end, max heap used ${mib(report.maxHeap as number)}; ` +
        `reference, the same process before syncing: ${mib(report.before as number)}; ${fmt(COUNT / (report.seconds as number))} headers/s (${report.load})`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.MEMORY_BENCH_CHILD) await child(process.env.MEMORY_BENCH_CHILD);
else await parent();
