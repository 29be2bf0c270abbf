import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

/**
 * A private nats-server with JetStream for tests that must stop and restart the broker without disturbing anyone
 * else's tests on the shared one. Keeps its store across restarts, like a real broker.
 */
export class PrivateNatsServer {
  private child: ChildProcess | undefined;
  private configFile: string | undefined;
  private constructor(
    readonly port: number,
    private readonly storeDir: string,
  ) {}

  /**
   * `config` renders a server configuration (e.g. users and permissions from `renderNatsServerConfig`) for the
   * chosen port and store (it must enable JetStream with that store_dir); address and port on the command line win.
   */
  static async start(o: { config?: (server: { port: number; storeDir: string }) => string } = {}): Promise<PrivateNatsServer> {
    const s = new PrivateNatsServer(await freePort(), await mkdtemp(path.join(os.tmpdir(), 'tb-nats-')));
    if (o.config) {
      s.configFile = path.join(s.storeDir, 'nats.conf');
      await writeFile(s.configFile, o.config({ port: s.port, storeDir: s.storeDir }), { mode: 0o600 });
    }
    await s.resume();
    return s;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    const bin = process.env.NATS_SERVER_BIN ?? 'nats-server';
    // A configuration names its own JetStream store (nats-server refuses -sd on top of it).
    const storage = this.configFile ? ['-c', this.configFile] : ['-js', '-sd', this.storeDir];
    this.child = spawn(bin, ['-a', '127.0.0.1', '-p', String(this.port), ...storage], { stdio: 'ignore' });
    await waitForPort(this.port, 10_000);
  }

  async pause(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    await this.pause();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}
