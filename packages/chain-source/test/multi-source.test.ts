import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ChainSourceError, MultiSource, prometheusChainSourceHooks, type ChainSource, type ChainSourceHooks, type ChainTipInfo } from '../src/index.js';

/** An in-memory source: fixed answers, or a failure for every call. */
function fakeSource(name: string, tip: ChainTipInfo | ChainSourceError, header = Uint8Array.of(1)): ChainSource & { calls: number } {
  const answer = async <T>(value: T): Promise<T> => {
    source.calls++;
    if (tip instanceof ChainSourceError) throw tip;
    return value;
  };
  const source = {
    name,
    calls: 0,
    getTip: () => answer(tip as ChainTipInfo),
    getBlockHash: () => answer((tip as ChainTipInfo).hash),
    getHeader: () => answer(header),
    getRawBlock: () => answer(header),
    getRawTransaction: () => answer(header),
    getTxMerkleProof: () => answer(header),
    getFeeEstimates: () => answer({ 6: 2 }),
    broadcast: () => answer('ff'.repeat(32)),
  };
  return source;
}

function recordingHooks(): ChainSourceHooks & { disagreements: unknown[]; fallbacks: string[] } {
  const disagreements: unknown[] = [];
  const fallbacks: string[] = [];
  return { disagreements, fallbacks, onDisagreement: (kind, details) => disagreements.push({ kind, details }), onFallback: (s) => fallbacks.push(s) };
}

const tipA = { height: 100, hash: 'aa'.repeat(32) };
const tipB = { height: 101, hash: 'bb'.repeat(32) };
const down = (name: string) => new ChainSourceError(name, { kind: 'network', cause: 'ECONNREFUSED' });

describe('MultiSource', () => {
  it('asks every source for the tip and reports disagreement, preferring the highest', async () => {
    const hooks = recordingHooks();
    const multi = new MultiSource([fakeSource('a', tipA), fakeSource('b', tipB)], { hooks });
    expect(await multi.getTip()).toEqual(tipB);
    expect(hooks.disagreements).toEqual([
      { kind: 'tip', details: { answers: [{ source: 'a', ...tipA }, { source: 'b', ...tipB }] } },
    ]);
  });

  it('reports nothing when the sources agree', async () => {
    const hooks = recordingHooks();
    const multi = new MultiSource([fakeSource('a', tipA), fakeSource('b', tipA)], { hooks });
    expect(await multi.getTip()).toEqual(tipA);
    expect(hooks.disagreements).toEqual([]);
  });

  it('falls back to the next source when one fails, and only fails when all do', async () => {
    const hooks = recordingHooks();
    const first = fakeSource('a', down('a'));
    const second = fakeSource('b', tipB, Uint8Array.of(9));
    const multi = new MultiSource([first, second], { hooks });
    expect(await multi.getHeader(5)).toEqual(Uint8Array.of(9));
    expect(await multi.getTip()).toEqual(tipB);
    expect(hooks.fallbacks).toEqual(['a', 'a']);
    const allDown = new MultiSource([fakeSource('a', down('a')), fakeSource('b', down('b'))]);
    await expect(allDown.getRawBlock('00'.repeat(32))).rejects.toMatchObject({ source: 'b', kind: 'network' });
    await expect(allDown.getTip()).rejects.toBeInstanceOf(ChainSourceError);
  });

  it('does not try the next source once one has answered', async () => {
    const first = fakeSource('a', tipA);
    const second = fakeSource('b', tipB);
    await new MultiSource([first, second]).broadcast(Uint8Array.of(1));
    expect([first.calls, second.calls]).toEqual([1, 0]);
  });

  it('counts disagreements and failures in prom-client counters', async () => {
    const registry = new Registry();
    const multi = new MultiSource([fakeSource('a', tipA), fakeSource('b', tipB), fakeSource('c', down('c'))], { hooks: prometheusChainSourceHooks(registry) });
    await multi.getTip();
    await multi.getTip();
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string) => metrics.find((m) => m.name === name)!.values;
    expect(value('tapbridge_chain_source_disagreements_total')).toEqual([{ labels: { kind: 'tip' }, value: 2 }]);
    expect(value('tapbridge_chain_source_failures_total')).toEqual([{ labels: { source: 'c', kind: 'network' }, value: 2 }]);
  });

  it('needs at least one source', () => {
    expect(() => new MultiSource([])).toThrow(TypeError);
  });
});
