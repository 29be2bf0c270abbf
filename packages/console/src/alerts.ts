// What the console raises from what the public API says: pure, so the rules are tested without a browser
// (test/alerts.test.ts). They mirror infra/prometheus's alerts where the API shows the same facts.
import type { ChainStatus, Fees, Pipeline, Reserves, SignerSet, SigningSession, WithdrawalList } from '@tapbridge/client';

/** The withdrawal states still moving (paid is the end), each read a page at a time from /v1/withdrawals?status=. */
export const WITHDRAWALS_IN_FLIGHT = ['final', 'queued', 'signing', 'broadcast', 'confirmed'] as const;
export type InFlightState = (typeof WITHDRAWALS_IN_FLIGHT)[number];

/** One refresh of every panel: each read's answer, or the problem detail when it failed. */
export interface Snapshot {
  chain?: ChainStatus;
  reserves?: Reserves;
  signers?: SignerSet;
  fees?: Fees;
  pipeline?: Pipeline;
  /** The first page of withdrawals in each state still moving (its nextCursor says there are more). */
  withdrawals?: Partial<Record<InFlightState, WithdrawalList>>;
  /** The newest signing sessions (/v1/signing-sessions). */
  sessions?: SigningSession[];
  /** Failed reads by name (e.g. `reserves`): the problem's detail (a 503 names the service that did not answer). */
  errors: Record<string, string>;
}

export interface Alert {
  /** page: money or custody at risk now; warn: degraded, look soon. */
  severity: 'page' | 'warn';
  id: string;
  text: string;
}

/** A Bitcoin tip older than this is stale (mainnet blocks come every 10 min; 2 h without one is rare). */
export const STALE_TIP_SECONDS = 2 * 60 * 60;
/** Collateral ratio within this share above the required one is "near its limit" (10%). */
export const RATIO_MARGIN = 0.1;


export function alertsOf(s: Snapshot, nowSeconds: number): Alert[] {
  const out: Alert[] = [];
  for (const [read, detail] of Object.entries(s.errors)) out.push({ severity: 'warn', id: `unavailable:${read}`, text: `${read}: ${detail}` });

  const r = s.reserves;
  if (r && r.invariantHolds === false)
    out.push({ severity: 'page', id: 'reserves', text: `reserves do not match supply: custody ${r.custodySats} sat, discrepancy ${r.discrepancySats ?? '?'} sat (${r.invariant})` });

  const f = s.fees;
  if (f) {
    if (f.pipeline === 'halted') out.push({ severity: 'page', id: 'sweep-halted', text: 'sweep pipeline halted: custody was spent by something other than our sweep' });
    if (f.stuckWithdrawals.length > 0) out.push({ severity: 'page', id: 'withdrawals-stuck', text: `stuck withdrawals: ${f.stuckWithdrawals.join(', ')}` });
    const c = f.capacity;
    if (c) {
      if (c.status === 'frozen') out.push({ severity: 'warn', id: 'capacity-frozen', text: `capacity frozen: ${c.reason ?? 'no reason given'}` });
      else if (BigInt(c.capacitySats) < 0n) out.push({ severity: 'page', id: 'under-collateralised', text: `under-collateralised by ${-BigInt(c.capacitySats)} sat` });
      if (c.status === 'open' && c.ratioBps !== null && Number(c.ratioBps) < c.collateralRatioBps * (1 + RATIO_MARGIN))
        out.push({ severity: 'warn', id: 'ratio-near-limit', text: `collateral ratio ${bps(Number(c.ratioBps))} near its limit ${bps(c.collateralRatioBps)}` });
    }
  }

  const held = s.pipeline?.deposits.find((d) => d.status === 'held_capacity');
  if (held && held.count > 0) out.push({ severity: 'warn', id: 'held-capacity', text: `${held.count}${held.more ? '+' : ''} deposits held back for stake capacity` });

  for (const m of s.signers?.members ?? []) {
    if (!m.live) out.push({ severity: 'warn', id: `signer-down:${m.index}`, text: `signer ${m.index} is down (last seen ${m.lastSeen ?? 'never'})` });
    if (m.misbehaviourCount > 0) out.push({ severity: 'warn', id: `misbehaviour:${m.index}`, text: `signer ${m.index} misbehaved ${m.misbehaviourCount}× (last ${m.lastMisbehaviour ?? '?'})` });
  }

  const c = s.chain;
  if (c) {
    if (nowSeconds - c.bitcoin.tipTime > STALE_TIP_SECONDS) out.push({ severity: 'warn', id: 'stale-tip', text: `Bitcoin tip ${c.bitcoin.tipHeight} is ${ago(nowSeconds - c.bitcoin.tipTime)} old` });
    for (const src of c.bitcoin.sources) {
      if (src.lastError) out.push({ severity: 'warn', id: `source-error:${src.name}`, text: `${src.name}: ${src.lastError}` });
      else if (src.height !== undefined && src.height !== c.bitcoin.tipHeight)
        out.push({ severity: 'warn', id: `source-disagrees:${src.name}`, text: `${src.name} claims height ${src.height}, the validated tip is ${c.bitcoin.tipHeight}` });
    }
  }
  return out;
}

export function bps(n: number): string {
  return `${(n / 100).toFixed(1)}%`;
}

/** A duration in seconds, as an operator reads it: 45s, 12m, 3h 5m, 2d 4h. */
export function ago(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Satoshis as BTC with 8 decimals (bigint-safe: never through a float). */
export function btc(sats: string): string {
  const n = BigInt(sats);
  const neg = n < 0n;
  const a = neg ? -n : n;
  return `${neg ? '-' : ''}${a / 100_000_000n}.${(a % 100_000_000n).toString().padStart(8, '0')}`;
}
