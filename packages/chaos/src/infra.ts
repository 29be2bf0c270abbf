// The private servers of a chaos run: a Postgres cluster of its own (initdb into a temp dir, so it can be SIGKILLed
// and restarted into crash recovery), nats-server with JetStream on a temp store, and redis-server without
// persistence. Each listens on 127.0.0.1 on a free port and is torn down with its directory at the end.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '@tapbridge/testing';

/** A child we started: kill it by its own pid, never by name. */
export class Proc {
  readonly exited: Promise<void>;
  constructor(readonly name: string, readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }
}

function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`no Postgres binaries under ${root}/*/bin (initdb, pg_ctl, postgres)`);
  return path.join(root, versions[0]!, 'bin');
}

/** initdb refuses to run as root: then the cluster belongs to the `postgres` system user. */
function asPostgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0) throw new Error('running as root and there is no postgres user to own the private cluster');
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

export class PostgresCluster {
  private proc: Proc | undefined;
  private constructor(readonly dir: string, readonly port: number, private readonly bin: string, private readonly owner: { uid: number; gid: number } | undefined) {}

  static async start(root: string): Promise<PostgresCluster> {
    const bin = findPostgresBin();
    const owner = asPostgresUser();
    const dir = path.join(root, 'pg');
    fs.mkdirSync(dir, { mode: 0o700 });
    if (owner) fs.chownSync(dir, owner.uid, owner.gid);
    // The temp root must be traversable by the cluster's owner.
    fs.chmodSync(root, 0o755);
    const init = spawnSync(path.join(bin, 'initdb'), ['-D', path.join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'], {
      encoding: 'utf8', ...(owner ? { uid: owner.uid, gid: owner.gid } : {}), cwd: dir,
    });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
    const pg = new PostgresCluster(dir, await freePort(), bin, owner);
    await pg.resume();
    return pg;
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The postmaster in the foreground (our child), so a kill is a real crash and the next start runs recovery. */
  async resume(): Promise<void> {
    const child = spawn(path.join(this.bin, 'postgres'), [
      '-D', path.join(this.dir, 'data'), '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'max_connections=500', '-c', 'shared_buffers=64MB', '-c', 'log_min_messages=fatal',
    ], { stdio: 'ignore', ...(this.owner ? { uid: this.owner.uid, gid: this.owner.gid } : {}), cwd: this.dir });
    this.proc = new Proc('postgres', child);
    await waitForPort(this.port, 60_000);
    // Accepting TCP is not accepting queries (recovery may still run): wait for a real answer.
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = spawnSync(path.join(this.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres'], { encoding: 'utf8' });
      if (r.status === 0) return;
      if (Date.now() > deadline) throw new Error(`the private Postgres did not become ready: ${r.stdout}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /** kill -9 of the postmaster and every backend (its children, found through /proc), as a power cut would. */
  async crash(): Promise<void> {
    const proc = this.proc;
    if (!proc?.running) return;
    const pid = proc.child.pid!;
    const children = childPids(pid);
    proc.child.kill('SIGKILL');
    for (const c of children) {
      try {
        process.kill(c, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await proc.exited;
    // Backends must be gone before a new postmaster can take the shared memory.
    const deadline = Date.now() + 30_000;
    while (children.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.proc = undefined;
  }

  async createDatabase(name: string): Promise<string> {
    const r = spawnSync(path.join(this.bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres', name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`createdb ${name}: ${r.stderr}`);
    return this.url(name);
  }

  async stop(): Promise<void> {
    await this.crash();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Direct children of `pid`, from /proc/<pid>/task/<pid>/children or a scan of /proc/<n>/stat. */
export function childPids(pid: number): number[] {
  try {
    const text = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (text) return text.split(/\s+/).map(Number);
  } catch {
    // fall through to the scan
  }
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export class NatsServer {
  private proc: Proc | undefined;
  private constructor(readonly port: number, readonly storeDir: string) {}
  static async start(root: string): Promise<NatsServer> {
    const storeDir = path.join(root, 'nats');
    fs.mkdirSync(storeDir);
    const s = new NatsServer(await freePort(), storeDir);
    await s.resume();
    return s;
  }
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  async resume(): Promise<void> {
    this.proc = new Proc('nats-server', spawn(process.env.NATS_SERVER_BIN ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' }));
    await waitForPort(this.port, 30_000);
  }
  async crash(): Promise<void> {
    await this.proc?.kill('SIGKILL');
    this.proc = undefined;
  }
  async stop(): Promise<void> {
    await this.crash();
    fs.rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export class RedisServer {
  private constructor(readonly port: number, private readonly proc: Proc) {}
  static async start(): Promise<RedisServer> {
    const port = await freePort();
    const proc = new Proc('redis-server', spawn(process.env.REDIS_SERVER_BIN ?? 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: 'ignore' }));
    await waitForPort(port, 30_000);
    return new RedisServer(port, proc);
  }
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async stop(): Promise<void> {
    await this.proc.kill('SIGKILL');
  }
}

export function makeTempRoot(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tb-chaos-'));
}
