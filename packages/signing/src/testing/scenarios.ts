// The signing loop's scenarios, run by packages/signing's unit tests on the in-memory store and by the app's parity
// test on both stores: each drives one request through a SigningDriver over an in-process Group (3-of-5) with
// signers down, silent, refusing, lying or restarting, on a virtual clock.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { AttemptCommand } from '../coordinator/attempt-machine.js';
import { SigningDriver, type SigningDriverOptions, type SigningObserver } from '../coordinator/driver.js';
import type { SigningStore } from '../coordinator/store.js';
import type { Group } from './group.js';
import { GroupTransport, ManualClock } from './transport.js';

export const SCENARIO_TIMINGS: Readonly<Timings> = { signingTimeoutMs: 3_600_000, stallMs: 8_000, retryMs: 1_500, pollMs: 50 };

interface Timings {
  signingTimeoutMs: number;
  stallMs: number;
  retryMs: number;
  pollMs: number;
}

export interface ScenarioContext {
  store: SigningStore;
  group: Group;
}

export interface ScenarioRun {
  requestId: string;
  transport: GroupTransport;
  /** Every command performed, in order, with its attempt. */
  performed: Array<{ attempt: number; command: AttemptCommand }>;
}

/** A 32-byte message derived from the scenario's name, so both stores sign the same thing. */
const messageOf = (name: string) => bytesToHex(sha256(new TextEncoder().encode(name)));

interface Setup {
  name: string;
  purpose?: string;
  message?: string;
  timings?: Partial<Timings>;
  /** Before the request: which signers are down, silent, refusing or faulty. */
  prepare?(t: GroupTransport, group: Group): void;
  /** Sees every command as it is performed (the place to bring signers up or restart them). */
  onCommand?(command: AttemptCommand, t: GroupTransport, group: Group): void;
  onStall?(t: GroupTransport): void;
}

function driverFor(ctx: ScenarioContext, transport: GroupTransport, setup: Setup, performed: ScenarioRun['performed'], extra: SigningObserver = {}): SigningDriver {
  const timings = { ...SCENARIO_TIMINGS, ...setup.timings };
  const options: SigningDriverOptions = {
    store: ctx.store,
    transport,
    clock: new ManualClock(),
    defaultTweak: () => ({ kind: 'key-path-only' }),
    ...timings,
    observer: {
      attemptStarted: (_c, cause) => (cause === 'stall' ? setup.onStall?.(transport) : undefined),
      performed: (c, command) => {
        performed.push({ attempt: c.attempt, command });
        setup.onCommand?.(command, transport, ctx.group);
        extra.performed?.(c, command);
      },
      failed: (id, what, err) => {
        throw new Error(`${setup.name}: ${what} failed for ${id}: ${err.message}`);
      },
    },
  };
  const driver = new SigningDriver(options);
  driver.setGroupKey(transport.groupKey());
  return driver;
}

async function run(ctx: ScenarioContext, setup: Setup): Promise<ScenarioRun> {
  // Every scenario starts from fresh, honest signers (no nonces in memory from an earlier one).
  for (let i = 1; i <= ctx.group.n; i++) ctx.group.restart(i);
  const transport = new GroupTransport(ctx.group);
  setup.prepare?.(transport, ctx.group);
  const performed: ScenarioRun['performed'] = [];
  const driver = driverFor(ctx, transport, setup, performed);
  const row = await driver.submit({ purpose: setup.purpose ?? 'message', payload: { kind: 'message', message: setup.message ?? messageOf(setup.name) } });
  await driver.settled(row.id);
  await driver.stop();
  return { requestId: row.id, transport, performed };
}


export const signingScenarios = {
  /** Everyone answers: one session, signed. */
  signed: (ctx: ScenarioContext) => run(ctx, { name: 'signed' }),

  /** Signers 1 and 2 commit but never sign: ROAST moves on to a session of 3, 4 and 5 in the same attempt. */
  'silent-signers': (ctx: ScenarioContext) =>
    run(ctx, {
      name: 'silent-signers',
      prepare: (t) => [1, 2].forEach((s) => t.silentInSessions.add(s)),
    }),

  /** Signer 3 does not answer at first: one timeout is recorded, it is asked again after retryMs and signs. */
  retry: (ctx: ScenarioContext) =>
    run(ctx, {
      name: 'retry',
      prepare: (t) => [3, 4, 5].forEach((s) => t.down.add(s)),
      onCommand: (c, t) => (c.type === 'record-response' && c.kind === 'timeout' && c.signer === 3 ? void t.down.delete(3) : undefined),
    }),

  /** Signer 5's policy refuses raw messages: it is not asked again, the others sign, the reason is recorded. */
  'policy-refusal': (ctx: ScenarioContext) =>
    run(ctx, {
      name: 'policy-refusal',
      prepare: (_t, g) => g.restart(5, { rawMessages: false }),
    }),

  /** A 32-byte message is no heartbeat: every signer refuses and the request fails with their reasons. */
  'all-refuse': (ctx: ScenarioContext) => run(ctx, { name: 'all-refuse', purpose: 'heartbeat' }),

  /** Signer 3 sends a bad partial signature in the only possible session: blamed, excluded, signed by 1, 2, 4 or 5. */
  'bad-partial': (ctx: ScenarioContext) =>
    run(ctx, {
      name: 'bad-partial',
      prepare: (t, g) => {
        g.restart(3, { fault: 'bad-partial' });
        [4, 5].forEach((s) => t.down.add(s));
      },
      onCommand: (c, t) => (c.type === 'record-misbehaviour' ? t.down.clear() : undefined),
    }),

  /** Only two signers up: no progress, the attempt stalls, a new one (fresh nonces) signs once the others are back. */
  stall: (ctx: ScenarioContext) =>
    run(ctx, {
      name: 'stall',
      prepare: (t) => [3, 4, 5].forEach((s) => t.down.add(s)),
      onStall: (t) => t.down.clear(),
    }),

  /** Signer 1 restarts after the session started: it answers nonce_unavailable, rejoins with a fresh nonce, and signs. */
  'nonce-lost': (ctx: ScenarioContext) =>
    run(ctx, {
      name: 'nonce-lost',
      prepare: (t) => [4, 5].forEach((s) => t.down.add(s)),
      onCommand: (c, _t, g) => (c.type === 'record-session' && c.session.roastSession === 1 ? g.restart(1) : undefined),
    }),

  /** Nobody answers: the request fails at its deadline. */
  timeout: (ctx: ScenarioContext) =>
    run(ctx, {
      name: 'timeout',
      timings: { signingTimeoutMs: 5_000 },
      prepare: (t) => [1, 2, 3, 4, 5].forEach((s) => t.down.add(s)),
    }),

  /**
   * The coordinator stops after signers 1 and 2 committed (3, 4, 5 down), and signer 1 restarts too; a new
   * coordinator resumes the request in attempt 2 with fresh nonces from everyone and signs.
   */
  restart: async (ctx: ScenarioContext): Promise<ScenarioRun> => {
    for (let i = 1; i <= ctx.group.n; i++) ctx.group.restart(i);
    const setup: Setup = { name: 'restart' };
    const first = new GroupTransport(ctx.group);
    [3, 4, 5].forEach((s) => first.down.add(s));
    const performed: ScenarioRun['performed'] = [];
    let committed!: () => void;
    const bothCommitted = new Promise<void>((resolve) => (committed = resolve));
    const nonces = new Set<number>();
    const before = driverFor(ctx, first, setup, performed, {
      performed: (_c, c) => {
        if (c.type === 'record-response' && c.kind === 'nonce') nonces.add(c.signer);
        if (nonces.size === 2) committed();
      },
    });
    const row = await before.submit({ purpose: 'message', payload: { kind: 'message', message: messageOf('restart') } });
    await bothCommitted;
    await before.stop();
    ctx.group.restart(1);
    const transport = new GroupTransport(ctx.group);
    const after = driverFor(ctx, transport, setup, performed);
    await after.resumePending();
    await after.settled(row.id);
    await after.stop();
    return { requestId: row.id, transport, performed };
  },
} satisfies Record<string, (ctx: ScenarioContext) => Promise<ScenarioRun>>;

export type ScenarioName = keyof typeof signingScenarios;

/** Runs every scenario, one after the other, on one store and group; returns each request id by scenario. */
export async function runSigningScenarios(ctx: ScenarioContext): Promise<Record<ScenarioName, string>> {
  const ids: Partial<Record<ScenarioName, string>> = {};
  for (const name of Object.keys(signingScenarios) as ScenarioName[]) ids[name] = (await signingScenarios[name](ctx)).requestId;
  return ids as Record<ScenarioName, string>;
}

/**
 * What a store holds for these requests, without what differs from run to run (ids, nonces, signatures, times):
 * a signature is reduced to whether it verifies under the request's output key.
 */
export async function signingSnapshot(store: SigningStore, ids: Partial<Record<string, string>>): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, id] of Object.entries(ids)) {
    if (id === undefined) continue;
    const row = await store.request(id);
    if (!row) throw new Error(`no request ${id} (${name})`);
    const anonymous = (s: string | null) => s?.replaceAll(id, name) ?? null;
    out[name] = {
      status: row.status,
      purpose: row.purpose,
      attempt: row.attempt,
      signers: row.signers,
      error: anonymous(row.error),
      signatureValid: row.signature !== null && schnorr.verify(hexToBytes(row.signature), hexToBytes(row.message), hexToBytes(row.outputKey)),
      completed: row.completedAt !== null,
      sessions: (await store.sessions(id)).map((s) => ({ attempt: s.attempt, roastSession: s.roastSession, signers: s.signers, pubnonces: s.pubnonces.length })),
      responses: (await store.responses(id)).map((r) => ({ attempt: r.attempt, signer: r.signer, kind: r.kind, roastSession: r.roastSession, pubnonce: r.pubnonce !== null, detail: anonymous(r.detail) })),
    };
  }
  return out;
}
