// The console reads the public API of the gateway that served it (same origin), with the typed client.
import { createTapbridgeClient, type Problem } from '@tapbridge/client';
import { WITHDRAWALS_IN_FLIGHT, type Snapshot } from './alerts.js';

/** Per state, at most this many withdrawals are listed (the oldest first: arrival order); more shows as "+". */
export const WITHDRAWAL_PAGE = 50;
export const SESSION_PAGE = 15;

export const api = createTapbridgeClient({ baseUrl: window.location.origin });

function reason(error: unknown, response: Response): string {
  const p = error as Partial<Problem> | undefined;
  return `${response.status} ${p?.detail ?? p?.code ?? response.statusText}`;
}

/** Every panel's read at once; a failed read is recorded, never fatal (one service down leaves the rest visible). */
export async function loadSnapshot(): Promise<Snapshot> {
  const s: Snapshot = { errors: {} };
  const settle = async <T,>(name: string, call: Promise<{ data?: T; error?: unknown; response: Response }>, put: (d: T) => void) => {
    try {
      const r = await call;
      if (r.data !== undefined) put(r.data);
      else s.errors[name] = reason(r.error, r.response);
    } catch (e) {
      s.errors[name] = (e as Error).message;
    }
  };
  await Promise.all([
    settle('chain', api.GET('/v1/chain'), (d) => (s.chain = d)),
    settle('reserves', api.GET('/v1/reserves'), (d) => (s.reserves = d)),
    settle('signers', api.GET('/v1/signers'), (d) => (s.signers = d)),
    settle('fees', api.GET('/v1/fees'), (d) => (s.fees = d)),
    settle('pipeline', api.GET('/v1/pipeline'), (d) => (s.pipeline = d)),
    ...WITHDRAWALS_IN_FLIGHT.map((status) =>
      settle('withdrawals', api.GET('/v1/withdrawals', { params: { query: { status, limit: WITHDRAWAL_PAGE } } }), (d) => (s.withdrawals = { ...s.withdrawals, [status]: d })),
    ),
    settle('sessions', api.GET('/v1/signing-sessions', { params: { query: { limit: SESSION_PAGE } } }), (d) => (s.sessions = d.sessions)),
  ]);
  return s;
}

/** The status-change events the gateway streams after the first `status` event (packages/messaging's catalog). */
const EVENTS = ['deposit.confirmed', 'deposit.reorged', 'deposit.reclaimed', 'deposit.swept', 'withdrawal.requested', 'withdrawal.paid'];

/**
 * Live status of one deposit or withdrawal over the gateway's SSE: `status` carries the current view, each later
 * event names a change (then the caller reads the view again: not every status change is an event, e.g. seen, minted).
 */
export function watch(path: string, on: { status: (view: { status: string; detail?: string }) => void; event: (name: string) => void; error: (text: string) => void }): () => void {
  const source = new EventSource(path);
  source.addEventListener('status', (ev) => {
    try {
      on.status(JSON.parse((ev as MessageEvent<string>).data) as { status: string; detail?: string });
    } catch {
      on.error('unreadable status event');
    }
  });
  for (const name of EVENTS) source.addEventListener(name, () => on.event(name));
  source.onerror = () => on.error('stream interrupted; the browser reconnects');
  return () => source.close();
}
