import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { decodeTransaction, hashToHex, hexToBytes } from '@tapbridge/bitcoin';
import { BroadcastError, ChainSourceError, MultiSource, prometheusChainSourceHooks, type BroadcastResult, type ChainSource, type ChainSourceHooks, type ChainTipInfo } from '../src/index.js';

/** An in-memory source: fixed answers, or a failure for every call. */
function fakeSource(name: string, tip: ChainTipInfo | ChainSourceError, header = Uint8Array.of(1), overrides: Partial<ChainSource> = {}): ChainSource & { calls: number } {
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
    broadcastTransaction: () => answer({ txid: 'ff'.repeat(32), status: 'accepted' as const, sources: [{ source: name, ok: true as const, status: 'accepted' as const }] }),
    estimateFeeRate: () => answer(2),
    txStatus: (txid: string) => answer({ txid, inMempool: false, confirmed: false }),
    outspend: () => answer({ spent: false as const }),
    ...overrides,
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
    await new MultiSource([first, second]).getRawTransaction('11'.repeat(32));
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

  it('needs at least one source (broadcast arguments are checked before any source is asked)', async () => {
    const a = fakeSource('a', tipA);
    await expect(new MultiSource([a]).broadcastTransaction('zz')).rejects.toBeInstanceOf(TypeError);
    await expect(new MultiSource([a]).broadcastTransaction(Uint8Array.of(1, 2))).rejects.toBeInstanceOf(TypeError);
    expect(a.calls).toBe(0);
  });
});

// One input, one output: a transaction that decodes (its scripts are never run here).
const TX_HEX = '01000000' + '01' + '11'.repeat(32) + '00000000' + '00' + 'ffffffff' + '01' + 'e803000000000000' + '00' + '00000000';
const TXID = hashToHex(decodeTransaction(TX_HEX).txid);
const rpcRefusal = (name: string, code: number, message: string) => new ChainSourceError(name, { kind: 'rpc', code, rpcMessage: message });
const took = (name: string, status: 'accepted' | 'already-known', txid: string): BroadcastResult => ({ txid, status, sources: [{ source: name, ok: true, status }] });

describe('MultiSource broadcast', () => {
  it('sends to every source, succeeds when any took it, and reports each', async () => {
    const hooks = recordingHooks();
    const asked: string[] = [];
    const answering = (name: string, status: 'accepted' | 'already-known') =>
      fakeSource(name, tipA, undefined, { broadcastTransaction: async () => (asked.push(name), took(name, status, TXID)) });
    const down = fakeSource('c', tipA, undefined, {
      broadcastTransaction: async () => {
        asked.push('c');
        throw new ChainSourceError('c', { kind: 'network', cause: 'ECONNREFUSED' });
      },
    });
    const result = await new MultiSource([answering('a', 'accepted'), answering('b', 'already-known'), down], { hooks }).broadcastTransaction(TX_HEX);
    expect(asked.sort()).toEqual(['a', 'b', 'c']);
    expect(result.status).toBe('accepted');
    expect(result.txid).toBe(TXID);
    expect(result.sources.map((r) => [r.source, r.ok, r.ok ? r.status : r.error.kind])).toEqual([
      ['a', true, 'accepted'],
      ['b', true, 'already-known'],
      ['c', false, 'network'],
    ]);
    expect(hooks.fallbacks).toEqual(['c']);
  });

  it('is already-known when no source accepted it anew, and broadcast() asks every source too', async () => {
    const asked: string[] = [];
    const sources = ['a', 'b'].map((n) => fakeSource(n, tipA, undefined, { broadcastTransaction: async () => (asked.push(n), took(n, 'already-known', TXID)) }));
    const multi = new MultiSource(sources);
    expect((await multi.broadcastTransaction(TX_HEX)).status).toBe('already-known');
    expect(await multi.broadcast(hexToBytes(TX_HEX))).toBe(TXID);
    expect(asked).toEqual(['a', 'b', 'a', 'b']);
  });

  it('fails with every report and the node\'s rejection (not the outage) when nobody took it', async () => {
    const refusing = fakeSource('a', tipA, undefined, {
      broadcastTransaction: async () => {
        const error = rpcRefusal('a', -26, 'mempool min fee not met, 110 < 1100');
        throw new BroadcastError('a', 'ff'.repeat(32), [{ source: 'a', ok: false, error }], error.failure);
      },
    });
    const down = fakeSource('b', tipA, undefined, {
      broadcastTransaction: async () => {
        throw new ChainSourceError('b', { kind: 'timeout', timeoutMs: 10 });
      },
    });
    const e = await new MultiSource([down, refusing], { name: 'multi' }).broadcastTransaction(TX_HEX).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BroadcastError);
    const be = e as BroadcastError;
    expect(be.failure).toEqual({ kind: 'rpc', code: -26, rpcMessage: 'mempool min fee not met, 110 < 1100' });
    expect(be.reports.map((r) => [r.source, r.ok])).toEqual([
      ['b', false],
      ['a', false],
    ]);
    expect(be.message).toMatch(/^multi: no source accepted [0-9a-f]{64}: .*timed out.*mempool min fee not met/);
  });
});

describe('MultiSource answers from every source', () => {
  const rates = (...values: Array<number | ChainSourceError>) =>
    values.map((v, i) =>
      fakeSource(`s${i}`, tipA, undefined, {
        estimateFeeRate: async () => {
          if (v instanceof ChainSourceError) throw v;
          return v;
        },
      }),
    );

  it('takes the median fee rate, ignoring sources that fail', async () => {
    expect(await new MultiSource(rates(1, 100, 5)).estimateFeeRate(6)).toBe(5);
    expect(await new MultiSource(rates(2, 4)).estimateFeeRate(6)).toBe(3);
    expect(await new MultiSource(rates(down('x'), 7)).estimateFeeRate(6)).toBe(7);
    await expect(new MultiSource(rates(down('x'), new ChainSourceError('y', { kind: 'not-found', what: 'no estimate' }))).estimateFeeRate(6)).rejects.toMatchObject({
      kind: 'not-found',
    });
  });

  it('reports the most advanced transaction status: confirmed (highest block) over mempool over unknown', async () => {
    const txid = 'cd'.repeat(32);
    const withStatus = (name: string, status: Partial<Awaited<ReturnType<ChainSource['txStatus']>>>) =>
      fakeSource(name, tipA, undefined, { txStatus: async () => ({ txid, inMempool: false, confirmed: false, ...status }) });
    const unknown = withStatus('a', {});
    const pooled = withStatus('b', { inMempool: true });
    const low = withStatus('c', { confirmed: true, blockHash: '01'.repeat(32), blockHeight: 10 });
    const high = withStatus('d', { confirmed: true, blockHash: '02'.repeat(32), blockHeight: 11 });
    expect(await new MultiSource([unknown, pooled]).txStatus(txid)).toEqual({ txid, inMempool: true, confirmed: false });
    expect(await new MultiSource([pooled, low, unknown, high]).txStatus(txid)).toMatchObject({ confirmed: true, blockHeight: 11, blockHash: '02'.repeat(32) });
    expect(await new MultiSource([unknown, fakeSource('x', down('x'))]).txStatus(txid)).toEqual({ txid, inMempool: false, confirmed: false });
  });

  it('reports a spend if any source sees one, naming the spender when one source can', async () => {
    const spender = 'ef'.repeat(32);
    const withOutspend = (name: string, o: Awaited<ReturnType<ChainSource['outspend']>>) => fakeSource(name, tipA, undefined, { outspend: async () => o });
    const unspent = withOutspend('a', { spent: false });
    const core = withOutspend('core', { spent: true, confirmed: true });
    const esplora = withOutspend('esplora', { spent: true, txid: spender, vin: 3, confirmed: false });
    expect(await new MultiSource([unspent, unspent]).outspend('ab'.repeat(32), 0)).toEqual({ spent: false });
    expect(await new MultiSource([unspent, esplora]).outspend('ab'.repeat(32), 0)).toEqual({ spent: true, txid: spender, vin: 3, confirmed: false });
    expect(await new MultiSource([esplora, core, unspent]).outspend('ab'.repeat(32), 0)).toEqual({ spent: true, confirmed: true, txid: spender, vin: 3 });
  });
});
