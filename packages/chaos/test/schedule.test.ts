import { describe, expect, it } from 'vitest';
import { SIZES } from '../src/run.js';
import { COVER_EVERY_SERVICE_FROM, planFaults, planLoad, SCRIPT_TYPES, SERVICES } from '../src/schedule.js';

describe('the fault schedule', () => {
  it('is a function of the seed: the same seed gives the same faults, another seed other faults', () => {
    const a = planFaults({ seed: 'c0ffee', faults: 40, windowMs: 600_000 });
    const b = planFaults({ seed: 'c0ffee', faults: 40, windowMs: 600_000 });
    const c = planFaults({ seed: 'c0ffef', faults: 40, windowMs: 600_000 });
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(c.faults).not.toEqual(a.faults);
  });

  it('spreads the faults over the window in order and draws every kind, target and depth from the allowed ranges', () => {
    const seen = new Set<string>();
    const targets = new Set<string>();
    const depths = new Set<number>();
    for (let s = 0; s < 30; s++) {
      const { faults, lyingSigner } = planFaults({ seed: `s${s}`, faults: 20, windowMs: 200_000 });
      expect(lyingSigner).toBeGreaterThanOrEqual(1);
      expect(lyingSigner).toBeLessThanOrEqual(5);
      expect(faults).toHaveLength(20);
      faults.forEach((f, i) => {
        expect(f.id).toBe(i);
        expect(f.atMs).toBeGreaterThanOrEqual(i * 10_000);
        expect(f.atMs).toBeLessThan((i + 1) * 10_000);
        seen.add(f.kind);
        if (f.target) {
          expect(SERVICES).toContain(f.target);
          targets.add(f.target);
        }
        if (f.kind === 'reorg') {
          expect(f.depth).toBeGreaterThanOrEqual(1);
          expect(f.depth).toBeLessThanOrEqual(6);
          depths.add(f.depth!);
        }
        if (f.kind === 'cut-nats' || f.kind === 'cut-postgres') expect(f.target).not.toBe('api-gateway');
      });
    }
    expect([...seen].sort()).toEqual(['cut-nats', 'cut-postgres', 'fee-spike', 'kill-nats', 'kill-postgres', 'kill-service', 'reorg']);
    // The coordinator and the signers are targets like any other service.
    expect(targets).toContain('signing-coordinator');
    expect(targets).toContain('signer-3');
    expect([...depths].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('kills every service once before any twice: the coordinator, the api-gateway and the header-watcher included', () => {
    for (let s = 0; s < 40; s++) {
      const kills = planFaults({ seed: `k${s}`, faults: 60, windowMs: 600_000 }).faults.filter((f) => f.kind === 'kill-service').map((f) => f.target!);
      expect(kills.length).toBeGreaterThanOrEqual(SERVICES.length);
      // Each run of |SERVICES| kills is one permutation of all of them.
      for (let i = 0; i + SERVICES.length <= kills.length; i += SERVICES.length) expect(new Set(kills.slice(i, i + SERVICES.length))).toEqual(new Set(SERVICES));
    }
  });

  it('the full size kills every service at least once, whatever the seed', () => {
    const full = SIZES.full;
    expect(full.faults).toBeGreaterThanOrEqual(COVER_EVERY_SERVICE_FROM);
    for (let s = 0; s < 200; s++) {
      const { faults } = planFaults({ seed: `full${s}`, faults: full.faults, windowMs: full.waves * full.waveMs });
      expect(faults).toHaveLength(full.faults);
      expect(new Set(faults.filter((f) => f.kind === 'kill-service').map((f) => f.target))).toEqual(new Set(SERVICES));
      // Still a mix: the top-up replaces others only as far as needed.
      expect(new Set(faults.map((f) => f.kind)).size).toBeGreaterThan(3);
    }
  });

  it('draws only the kinds given a weight', () => {
    const { faults } = planFaults({ seed: 'x', faults: 50, windowMs: 100_000, weights: { 'kill-service': 0, 'kill-nats': 0, 'kill-postgres': 0, 'cut-nats': 0, 'cut-postgres': 0, 'fee-spike': 0 } });
    expect(new Set(faults.map((f) => f.kind))).toEqual(new Set(['reorg']));
  });

  it('refuses nonsense sizes', () => {
    expect(() => planFaults({ seed: 'x', faults: -1, windowMs: 1 })).toThrow(RangeError);
    expect(() => planFaults({ seed: 'x', faults: 1, windowMs: 0 })).toThrow(RangeError);
    expect(() => planLoad({ seed: 'x', users: 1, deposits: 100_000, withdrawals: 0 })).toThrow(RangeError);
  });
});

describe('the load plan', () => {
  it('is deterministic, has every deposit form and all five script types, unique amounts, and funds every withdrawal', () => {
    const a = planLoad({ seed: 'seed', users: 50, deposits: 1_000, withdrawals: 500 });
    expect(planLoad({ seed: 'seed', users: 50, deposits: 1_000, withdrawals: 500 })).toEqual(a);
    const forms = new Map<string, number>();
    for (const d of a.deposits) forms.set(d.form, (forms.get(d.form) ?? 0) + 1);
    expect(forms.get('op_return')).toBe(100);
    expect(forms.get('reclaimed')).toBe(50);
    expect(forms.get('large')).toBeGreaterThan(0);
    // Unique per (user, amount): the checker matches mints by recipient and amount.
    expect(new Set(a.deposits.map((d) => `${d.user}:${d.amountSats}`)).size).toBe(a.deposits.length);
    expect(new Set(a.withdrawals.map((w) => w.scriptType))).toEqual(new Set(SCRIPT_TYPES));
    expect(a.withdrawals.length).toBe(500);
    for (let u = 0; u < 50; u++) {
      const funded = a.deposits.filter((d) => d.user === u && d.form !== 'reclaimed').reduce((n, d) => n + d.amountSats, 0n);
      const burned = a.withdrawals.filter((w) => w.user === u).reduce((n, w) => n + w.amountSats, 0n);
      expect(burned * 2n).toBeLessThanOrEqual(funded);
    }
    for (const w of a.withdrawals) expect(w.maxFeeSats).toBeLessThan(w.amountSats);
  });

  it('gives even the smoke size every deposit form', () => {
    const forms = new Set(planLoad({ seed: 'smoke', users: 6, deposits: 24, withdrawals: 10 }).deposits.map((d) => d.form));
    expect(forms).toEqual(new Set(['taproot', 'op_return', 'reclaimed', 'large']));
  });
});
