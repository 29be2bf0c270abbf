// Carrying out the schedule: each fault against the private stack, one after another, recorded as it happened.
// The miner shares a lock with the reorgs, so a reorg is built on a tip that does not move under it.
import type { Fault } from './schedule.js';
import type { ChaosStack } from './stack.js';

export interface Injection {
  id: number;
  kind: Fault['kind'];
  target: string;
  detail: string;
  plannedAtMs: number;
  /** Offsets from the start of the run. */
  startedAtMs: number;
  endedAtMs: number;
  outcome: string;
}

/** Serialises everything that changes the Bitcoin chain (mining, reorgs). */
export class ChainLock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Miner {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  blocks = 0;
  constructor(private readonly stack: ChaosStack, private readonly lock: ChainLock, private readonly intervalMs: number) {}
  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      await this.lock.run(async () => {
        await this.stack.btc.call('generatetoaddress', [1, this.stack.minerAddress]);
        this.blocks++;
      }).catch(() => undefined);
      if (!this.stopped) this.timer = setTimeout(() => void tick(), this.intervalMs);
    };
    this.timer = setTimeout(() => void tick(), this.intervalMs);
  }
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

export function describe(f: Fault): { target: string; detail: string } {
  switch (f.kind) {
    case 'kill-service': return { target: f.target!, detail: `kill -9, restart after ${f.durationMs} ms` };
    case 'kill-nats': return { target: 'nats-server', detail: `kill -9, restart after ${f.durationMs} ms` };
    case 'kill-postgres': return { target: 'postgres', detail: `kill -9 (postmaster and backends), restart after ${f.durationMs} ms` };
    case 'cut-nats': return { target: f.target!, detail: `link to NATS cut for ${f.durationMs} ms` };
    case 'cut-postgres': return { target: f.target!, detail: `link to Postgres cut for ${f.durationMs} ms` };
    case 'reorg': return { target: 'bitcoin', detail: `reorg of depth ${f.depth} (replacement blocks empty: the disconnected transactions wait in the mempool)` };
    case 'fee-spike': return { target: 'bitcoin', detail: `mining floor ${f.feeRateSatVb} sat/vB for ${f.durationMs} ms (stuck transactions need RBF)` };
  }
}

/** Runs one fault to its end (the dead process restarted, the link restored, the floor back to 0). */
export async function inject(f: Fault, stack: ChaosStack, lock: ChainLock, runStart: number): Promise<Injection> {
  const { target, detail } = describe(f);
  const startedAtMs = Date.now() - runStart;
  let outcome = 'ok';
  try {
    switch (f.kind) {
      case 'kill-service': {
        const s = stack.service(f.target!);
        s.held = true;
        try {
          await s.crash();
          await sleep(f.durationMs);
          await restart(() => s.start());
          s.restarts++;
        } finally {
          s.held = false;
        }
        break;
      }
      case 'kill-nats':
        await stack.nats.crash();
        await sleep(f.durationMs);
        await restart(() => stack.nats.resume());
        break;
      case 'kill-postgres':
        await stack.pg.crash();
        await sleep(f.durationMs);
        await restart(() => stack.pg.resume());
        break;
      case 'cut-nats':
      case 'cut-postgres': {
        const s = stack.service(f.target!);
        const proxy = f.kind === 'cut-nats' ? s.natsProxy : s.pgProxy;
        await proxy.cut();
        await sleep(f.durationMs);
        await proxy.restore();
        break;
      }
      case 'reorg':
        await lock.run(async () => {
          const { btc } = stack;
          const tip = await btc.call<number>('getblockcount');
          const fork = await btc.call<string>('getblockhash', [tip - f.depth! + 1]);
          await btc.call('invalidateblock', [fork]);
          // One block more than was taken away, so the new branch has more work; empty, so what was confirmed
          // in the old blocks is unconfirmed for a while (the next mined block takes it back from the mempool).
          for (let i = 0; i <= f.depth!; i++) await btc.call('generateblock', [stack.minerAddress, []]);
        });
        break;
      case 'fee-spike':
        await stack.btc.call('devnet_setminingfloor', [f.feeRateSatVb]);
        await sleep(f.durationMs);
        await stack.btc.call('devnet_setminingfloor', [0]);
        break;
    }
  } catch (err) {
    outcome = `error: ${(err as Error).message.split('\n')[0]}`;
  }
  return { id: f.id, kind: f.kind, target, detail, plannedAtMs: f.atMs, startedAtMs, endedAtMs: Date.now() - runStart, outcome };
}

/** A restart that fails (a service not ready in time on a loaded machine) is tried again: the fault is the kill. */
async function restart(fn: () => Promise<void>): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await sleep(2_000);
    }
  }
  throw last;
}
