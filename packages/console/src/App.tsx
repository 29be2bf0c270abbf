// The ops console: one page of read-only panels over the public API, refreshed every few seconds, plus live watches
// (SSE) of single deposits and withdrawals. It holds no state of its own and needs no key: every read is public.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import type { Deposit, Withdrawal } from '@tapbridge/client';
import { ago, alertsOf, bps, btc, WITHDRAWALS_IN_FLIGHT, type Snapshot } from './alerts.js';
import { api, loadSnapshot, watch } from './api.js';

const REFRESH_MS = Number(new URLSearchParams(window.location.search).get('refresh') ?? 3000);
const now = () => Math.floor(Date.now() / 1000);
const since = (iso: string | null | undefined) => (iso ? `${ago(now() - Date.parse(iso) / 1000)} ago` : '—');

function Panel(p: { id: string; title: string; children: ReactNode; error?: string | undefined }) {
  return (
    <section className="panel" data-testid={`panel-${p.id}`}>
      <h2>{p.title}</h2>
      {p.error ? <p className="error">{p.error}</p> : null}
      {p.children}
    </section>
  );
}

function Row(p: { k: string; v: ReactNode; testid?: string; bad?: boolean }) {
  return (
    <tr className={p.bad ? 'bad' : undefined}>
      <th>{p.k}</th>
      <td data-testid={p.testid}>{p.v}</td>
    </tr>
  );
}

function Alerts({ s }: { s: Snapshot }) {
  const alerts = alertsOf(s, now());
  return (
    <Panel id="alerts" title={`Alerts (${alerts.length})`}>
      {alerts.length === 0 ? <p className="ok">nothing to report</p> : null}
      <ul>
        {alerts.map((a) => (
          <li key={a.id} className={a.severity} data-testid={`alert-${a.id}`}>
            <b>{a.severity}</b> {a.text}
          </li>
        ))}
      </ul>
    </Panel>
  );
}

function DepositPipeline({ s }: { s: Snapshot }) {
  return (
    <Panel id="deposits" title="Deposit pipeline" error={s.errors.pipeline}>
      <table>
        <thead>
          <tr><th>state</th><th>count</th><th>oldest</th><th>in state for</th></tr>
        </thead>
        <tbody>
          {(s.pipeline?.deposits ?? []).map((d) => (
            <tr key={d.status} className={d.status === 'held_capacity' && d.count > 0 ? 'warn' : undefined}>
              <th>{d.status}</th>
              <td data-testid={`deposits-${d.status}`}>{d.count}{d.more ? '+' : ''}</td>
              <td className="mono">{d.oldest ? `${d.oldest.txid.slice(0, 12)}…:${d.oldest.vout} (${btc(d.oldest.amountSats)} BTC)` : '—'}</td>
              <td>{since(d.oldest?.since)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

function WithdrawalPipeline({ s }: { s: Snapshot }) {
  // /v1/pipeline's view, else /v1/fees' (the same sweep-coordinator status) when only the deposit side failed.
  const w = s.pipeline?.withdrawals ?? (s.fees ? { pipeline: s.fees.pipeline, waiting: s.fees.waitingWithdrawals, stuck: s.fees.stuckWithdrawals, heldBack: s.fees.outflow.heldBack } : undefined);
  return (
    <Panel id="withdrawals" title="Withdrawal pipeline" error={w ? undefined : (s.errors.pipeline ?? s.errors.fees)}>
      <table>
        <tbody>
          <Row k="sweep pipeline" v={w?.pipeline ?? '—'} testid="sweep-pipeline" bad={w?.pipeline === 'halted'} />
          <Row k="waiting (final, not in a sweep)" v={w?.waiting ?? '—'} testid="withdrawals-waiting" />
          <Row k="stuck" v={w && w.stuck.length > 0 ? w.stuck.join(', ') : 'none'} testid="withdrawals-stuck" bad={(w?.stuck.length ?? 0) > 0} />
          <Row k="held back (outflow limit)" v={w && w.heldBack.length > 0 ? w.heldBack.join(', ') : 'none'} />
          <Row k="sweep fee rate" v={s.fees?.feeRateSatPerVb != null ? `${s.fees.feeRateSatPerVb} sat/vB` : '—'} />
          <Row k="outflow limit" v={s.fees ? `${bps(s.fees.outflow.limitBps)} per ${s.fees.outflow.windowHours} h` : '—'} />
        </tbody>
      </table>
      <table>
        <thead>
          <tr><th>state</th><th>count</th><th>longest wait</th><th>stuck</th></tr>
        </thead>
        <tbody>
          {WITHDRAWALS_IN_FLIGHT.map((state) => {
            const page = s.withdrawals?.[state];
            const ws = page?.withdrawals ?? [];
            const stuck = ws.filter((x) => x.stuck);
            return (
              <tr key={state} className={stuck.length > 0 ? 'bad' : undefined} data-testid={`withdrawals-state-${state}`}>
                <th>{state}</th>
                <td>{page ? `${ws.length}${page.nextCursor !== null ? '+' : ''}` : '—'}</td>
                <td>{ws.length > 0 ? `${Math.max(...ws.map((x) => x.waitingBlocks))} blocks` : '—'}</td>
                <td className="mono">{stuck.length > 0 ? stuck.map((x) => x.id).join(', ') : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {s.errors.withdrawals ? <p className="error">{s.errors.withdrawals}</p> : null}
      <p className="note">final → queued → signing → broadcast → confirmed → paid: watch one below.</p>
    </Panel>
  );
}

function SigningSessions({ s }: { s: Snapshot }) {
  return (
    <Panel id="sessions" title="Signing sessions (newest first)" error={s.errors.sessions}>
      <table>
        <thead>
          <tr><th>request</th><th>purpose</th><th>status</th><th>attempt</th><th>signers</th><th>started</th></tr>
        </thead>
        <tbody>
          {(s.sessions ?? []).map((x) => {
            return (
              <tr key={x.id} className={x.status === 'failed' ? 'bad' : x.status === 'pending' && x.attempt > 1 ? 'warn' : undefined} data-testid="session">
                <th className="mono">{x.id.length > 24 ? `${x.id.slice(0, 24)}…` : x.id}</th>
                <td>{x.purpose}</td>
                <td>{x.status}{x.error ? `: ${x.error}` : ''}</td>
                <td>{x.attempt}</td>
                <td>{x.signers ? x.signers.join(', ') : '—'}</td>
                <td>{since(x.createdAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {s.sessions && s.sessions.length === 0 ? <p className="note">no signing sessions yet</p> : null}
    </Panel>
  );
}

function Signers({ s }: { s: Snapshot }) {
  const set = s.signers;
  return (
    <Panel id="signers" title={set ? `Signers: ${set.live} of ${set.signers} live, ${set.ready} ready` : 'Signers'} error={s.errors.signers}>
      <table>
        <thead>
          <tr><th>#</th><th>live</th><th>ready</th><th>last seen</th><th>misbehaviour</th></tr>
        </thead>
        <tbody>
          {(set?.members ?? []).map((m) => (
            <tr key={m.index} className={!m.live || m.misbehaviourCount > 0 ? 'bad' : undefined} data-testid={`signer-${m.index}`}>
              <th>{m.index}</th>
              <td>{m.live ? 'yes' : 'NO'}</td>
              <td>{m.ready ? 'yes' : 'no'}</td>
              <td>{since(m.lastSeen)}</td>
              <td>{m.misbehaviourCount > 0 ? `${m.misbehaviourCount} (last ${since(m.lastMisbehaviour)})` : '0'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Stake {set?.stake?.epoch ? `(epoch ${set.stake.epoch.epoch}, threshold ${set.stake.epoch.threshold})` : ''}</h3>
      {set && set.stake === null ? <p className="note">stake-accounting does not answer</p> : null}
      <table>
        <tbody>
          {(set?.stake?.signers ?? []).map((b) => (
            <tr key={b.address} className={b.status === 'jailed' ? 'bad' : undefined} data-testid="stake-signer">
              <th className="mono">{b.address.slice(0, 10)}…</th>
              <td>{b.status}</td>
              <td>{tokens(b.stake)} staked</td>
              <td>{tokens(b.unbonding)} unbonding</td>
              <td>{set?.stake?.epoch?.members.includes(b.hostPubkey) ? 'in set' : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {set?.groupKey ? <p className="mono small">custody {set.custodyAddress}</p> : <p className="note">no group key yet (DKG pending)</p>}
    </Panel>
  );
}

/** Stake-token base units (18 decimals) as whole tokens. */
function tokens(units: string): string {
  return (BigInt(units) / 10n ** 18n).toString();
}

function Reserves({ s }: { s: Snapshot }) {
  const r = s.reserves;
  const c = s.fees?.capacity;
  return (
    <Panel id="reserves" title="Custody vs L2 supply" error={s.errors.reserves}>
      <table>
        <tbody>
          <Row k="custody" v={r ? `${btc(r.custodySats)} BTC in ${r.custodyUtxos} UTXO(s)` : '—'} testid="custody" />
          <Row k="L2 supply" v={r?.l2SupplySats != null ? `${btc(r.l2SupplySats)} BTC` : '—'} testid="l2-supply" />
          <Row k="pending withdrawals" v={r?.pendingWithdrawalsSats != null ? `${btc(r.pendingWithdrawalsSats)} BTC` : '—'} />
          <Row k="fees paid by custody" v={r ? `${btc(r.feesPaidSats)} BTC` : '—'} />
          <Row k="invariant" v={r ? `${r.invariantHolds === null ? 'unknown' : r.invariantHolds ? 'holds' : 'BROKEN'} (${r.invariant})` : '—'} testid="invariant" bad={r?.invariantHolds === false} />
          <Row k="checked" v={since(r?.checkedAt)} />
        </tbody>
      </table>
      <h3>Collateral and capacity</h3>
      {c === null ? <p className="note">stake-accounting does not answer</p> : null}
      {c ? (
        <table>
          <tbody>
            <Row k="capacity" v={`${c.status}${c.status === 'open' ? `: ${btc(c.capacitySats)} BTC` : ` (${c.reason ?? ''})`}`} testid="capacity" bad={c.status === 'frozen' || BigInt(c.capacitySats) < 0n} />
            <Row k="collateral ratio" v={`${c.ratioBps !== null ? bps(Number(c.ratioBps)) : '—'} (required ${bps(c.collateralRatioBps)})`} testid="collateral-ratio" />
            <Row k="stake value" v={c.stakeValueSats !== null ? `${btc(c.stakeValueSats)} BTC (${tokens(c.stakeUnits)} tokens)` : '—'} />
            <Row k="obligations" v={`${btc(c.obligationsSats)} BTC`} />
          </tbody>
        </table>
      ) : null}
    </Panel>
  );
}

function Chain({ s }: { s: Snapshot }) {
  const c = s.chain;
  return (
    <Panel id="chain" title="Chain heads" error={s.errors.chain}>
      <table>
        <tbody>
          <Row k="Bitcoin tip" v={c ? `${c.bitcoin.tipHeight} (${c.bitcoin.network}, ${ago(now() - c.bitcoin.tipTime)} ago)` : '—'} testid="btc-tip" />
          <Row k="L2 head" v={c ? `${c.l2.height}, finalized ${c.l2.finalizedHeight} (depth ${c.l2.finalityDepth})` : '—'} testid="l2-head" />
          <Row k="bridge" v={<span className="mono">{c?.l2.bridgeAddress ?? '—'}</span>} />
        </tbody>
      </table>
      <h3>Sources</h3>
      <table>
        <tbody>
          {(c?.bitcoin.sources ?? []).map((src) => (
            <Row key={src.name} k={src.name} v={src.lastError ? `error: ${src.lastError}` : `height ${src.height ?? '?'}${src.lag ? ` (lag ${src.lag})` : ''}`} bad={!!src.lastError || (src.height !== undefined && src.height !== c!.bitcoin.tipHeight)} />
          ))}
        </tbody>
      </table>
    </Panel>
  );
}

/** Follows one deposit (`txid:vout`) or withdrawal (id) live: the SSE stream, and a fresh read at each change. */
function Watch({ tick }: { tick: number }) {
  const [input, setInput] = useState(() => new URLSearchParams(window.location.search).get('watch') ?? '');
  const [target, setTarget] = useState(input);
  const [status, setStatus] = useState<string>('—');
  const [view, setView] = useState<Deposit | Withdrawal | undefined>();
  const [log, setLog] = useState<string[]>([]);
  const kind = /^[0-9a-fA-F]{64}:\d+$/.test(target) ? 'deposit' : /^\d+$/.test(target) ? 'withdrawal' : undefined;

  const read = useCallback(async () => {
    if (kind === 'deposit') {
      const [txid, vout] = target.split(':') as [string, string];
      const r = await api.GET('/v1/deposits/{txid}/{vout}', { params: { path: { txid, vout } } });
      if (r.data) {
        setView(r.data);
        setStatus(r.data.status);
      }
    } else if (kind === 'withdrawal') {
      const r = await api.GET('/v1/withdrawals/{id}', { params: { path: { id: target } } });
      if (r.data) {
        setView(r.data);
        setStatus(r.data.status);
      }
    }
  }, [kind, target]);

  useEffect(() => {
    if (!kind) return;
    setLog([]);
    const path = kind === 'deposit' ? `/v1/deposits/${target.replace(':', '/')}/events` : `/v1/withdrawals/${target}/events`;
    return watch(path, {
      status: (v) => (setStatus(v.status), setLog((l) => [...l, `status ${v.status}`])),
      event: (name) => (setLog((l) => [...l, name]), void read()),
      error: (text) => setLog((l) => [...l, text]),
    });
  }, [kind, target, read]);
  useEffect(() => void read(), [read, tick]);

  return (
    <Panel id="watch" title="Watch a deposit or withdrawal (live)">
      <form onSubmit={(e) => (e.preventDefault(), setTarget(input.trim()))}>
        <input data-testid="watch-input" value={input} onChange={(e) => setInput(e.target.value)} placeholder="<txid>:<vout> or withdrawal id" />
        <button type="submit" data-testid="watch-go">watch</button>
      </form>
      {target && !kind ? <p className="error">not a deposit (txid:vout) or a withdrawal id</p> : null}
      {kind ? (
        <table>
          <tbody>
            <Row k={kind} v={<span className="mono">{target}</span>} />
            <Row k="status" v={status} testid="watch-status" bad={view !== undefined && 'stuck' in view && view.stuck} />
            {view && 'history' in view && view.history ? <Row k="history" v={view.history.map((h) => h.status).join(' → ')} testid="watch-history" /> : null}
            {view && 'waitingReason' in view && view.waitingReason ? <Row k="waiting" v={`${view.waitingReason} (${view.waitingBlocks} blocks)`} /> : null}
            <Row k="events" v={log.join(', ') || '—'} testid="watch-events" />
          </tbody>
        </table>
      ) : null}
    </Panel>
  );
}

export function App() {
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>();
  const [tick, setTick] = useState(0);
  const [at, setAt] = useState<Date | undefined>();
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const loop = async () => {
      const s = await loadSnapshot();
      if (stopped) return;
      setSnapshot(s);
      setAt(new Date());
      setTick((t) => t + 1);
      timer = setTimeout(() => void loop(), REFRESH_MS);
    };
    void loop();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);
  return (
    <main>
      <header>
        <h1>tapbridge ops console</h1>
        <span data-testid="refreshed" data-tick={tick}>{at ? `refreshed ${at.toLocaleTimeString()}` : 'loading…'}</span>
      </header>
      {snapshot ? (
        <div className="grid">
          <Alerts s={snapshot} />
          <Chain s={snapshot} />
          <DepositPipeline s={snapshot} />
          <WithdrawalPipeline s={snapshot} />
          <Reserves s={snapshot} />
          <Signers s={snapshot} />
          <SigningSessions s={snapshot} />
          <Watch tick={tick} />
        </div>
      ) : null}
    </main>
  );
}
