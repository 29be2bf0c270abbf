import { spawn, type ChildProcess } from 'node:child_process';
import { appMain } from './build-apps.js';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { waitFor } from './wait.js';
import { waitForPort } from './nats-server.js';

export interface ServiceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * When a started service counts as up: `live` once GET /health/live answers 2xx, `port` once the HTTP port accepts
 * connections, or a probe of your own (polled until it returns true).
 */
export type ServiceReadiness = 'live' | 'port' | ((service: ServiceProcess) => Promise<boolean>);

export interface ServiceStartOptions {
  /** Folder name under apps/; its build (apps/<app>/dist/main.js) is what runs. */
  app: string;
  /** Laid over {@link serviceBaseEnv}; HTTP_PORT is always the chosen port. */
  env?: Record<string, string>;
  /** HTTP port; a free one when omitted. */
  port?: number;
  ready?: ServiceReadiness;
  readyTimeoutMs?: number;
}

/** Thrown when a service exits or never becomes ready during start; carries everything it printed. */
export class ServiceStartError extends Error {
  constructor(
    readonly app: string,
    message: string,
    readonly output: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${app} ${message}:\n${output}`);
    this.name = 'ServiceStartError';
  }
}

/** What every service needs from the host (the child gets no other environment, so tests do not leak theirs). */
export function serviceBaseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'info',
    // Tests poll reads every 50 ms from one address for minutes; the production read limit would refuse that.
    RATE_LIMIT_READ: '1000000',
  };
}

/** One app running from its build as a child process, so tests can kill it like a crash would. */
export class ServiceProcess {
  private readonly chunks: Array<{ stream: 'stdout' | 'stderr'; text: string }> = [];
  private readonly exit: Promise<ServiceExit>;

  private constructor(
    readonly app: string,
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stdout?.on('data', (d: Buffer) => this.chunks.push({ stream: 'stdout', text: d.toString('utf8') }));
    child.stderr?.on('data', (d: Buffer) => this.chunks.push({ stream: 'stderr', text: d.toString('utf8') }));
  }

  /** Spawns the app and resolves once it is ready; rejects with its output if it exits (or stays unready) first. */
  static async start(options: ServiceStartOptions): Promise<ServiceProcess> {
    const main = appMain(options.app);
    if (options.port !== undefined && (!Number.isInteger(options.port) || options.port <= 0 || options.port > 65_535)) {
      throw new RangeError(`not a TCP port: ${options.port}`);
    }
    const port = options.port ?? (await freePort());
    const child = spawn(process.execPath, [main], {
      cwd: repoRoot,
      env: { ...serviceBaseEnv(), ...options.env, HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(options.app, child, port);
    // Generous: a service starting on a loaded 2-core machine (load 8+) has been seen to take more than 30 s.
    const timeoutMs = options.readyTimeoutMs ?? 120_000;
    const ready = service.becomeReady(options.ready ?? 'live', timeoutMs).then(() => undefined);
    const outcome = await Promise.race([ready, service.exit]).catch(async (err: unknown) => {
      // Never became ready: do not leave it running behind the failed test.
      await service.kill('SIGKILL');
      throw service.startError(`was not ready within ${timeoutMs} ms (${(err as Error).message})`);
    });
    // The poll also ends when the process is gone, so an exit can arrive through either side of the race.
    const exited = outcome ?? (service.running ? undefined : await service.exit);
    if (exited !== undefined) {
      ready.catch(() => undefined);
      throw service.startError(`exited with ${exited.code ?? exited.signal} before it was ready`);
    }
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** stdout and stderr as printed, interleaved in arrival order. */
  get output(): string {
    return this.chunks.map((c) => c.text).join('');
  }

  get stdout(): string {
    return this.chunks.filter((c) => c.stream === 'stdout').map((c) => c.text).join('');
  }

  get stderr(): string {
    return this.chunks.filter((c) => c.stream === 'stderr').map((c) => c.text).join('');
  }

  /** Sends `signal` (if it still runs) and resolves with how it exited. */
  async kill(signal: NodeJS.Signals): Promise<ServiceExit> {
    if (this.running) this.child.kill(signal);
    return this.exit;
  }

  /** SIGTERM for a graceful shutdown; SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ServiceExit> {
    if (!this.running) return this.exit;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    const first = await Promise.race([this.exit, overdue]);
    clearTimeout(timer);
    return first ?? this.kill('SIGKILL');
  }

  /** One HTTP request to the service; JSON bodies are parsed, anything else is returned as text. */
  /** `headers` carry e.g. an API key (`x-api-key`) for routes that need one. */
  async request<T = unknown>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const res = await fetch(this.url + route, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
  }

  get<T = unknown>(route: string): Promise<{ status: number; body: T }> {
    return this.request<T>('GET', route);
  }

  private async becomeReady(readiness: ServiceReadiness, timeoutMs: number): Promise<void> {
    if (readiness === 'port') return waitForPort(this.port, timeoutMs);
    const probe = readiness === 'live' ? async () => (await fetch(`${this.url}/health/live`)).ok : () => readiness(this);
    // Stop polling once the process is gone; the exit wins the race in start().
    await waitFor(`${this.app} to be ready`, async () => !this.running || (await probe()), timeoutMs, 50);
  }

  private startError(message: string): ServiceStartError {
    return new ServiceStartError(this.app, message, this.output, this.stdout, this.stderr);
  }
}
