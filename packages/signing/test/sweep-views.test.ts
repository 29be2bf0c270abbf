// The real view implementations against sources and nodes that lie or break (the happy paths run against a real
// devnet chain and EVM in apps/signer/test/sweep-view.integration.test.ts).
import { bytesToHex } from '@noble/hashes/utils.js';
import { computeMerkleRoot, computeTxid, encodeHeader, encodeTransaction, hashToHex, headerHash, type Transaction } from '@tapbridge/bitcoin';
import { buildMerkleBlockProof } from '@tapbridge/deposits';
import { describe, expect, it } from 'vitest';
import { EvmRpcL2View, L2RpcError, SignerHeaderStore, SourcesBitcoinView, WITHDRAWAL_REQUESTED_TOPIC, type ViewChainSource } from '../src/index.js';
import { seeded } from './sweep-fixtures.js';

// ---------------------------------------------------------------- L2

type Reply = unknown | ((body: { id: number; method: string; params: unknown[] }) => unknown);
/** A JSON-RPC endpoint answering each method with a fixed reply (or one built from the request). */
function fakeFetch(replies: Record<string, Reply>): typeof fetch {
  return (async (_url: string, init: { body: string }) => {
    const body = JSON.parse(init.body) as { id: number; method: string; params: unknown[] };
    const r = replies[body.method];
    const result = typeof r === 'function' ? (r as (b: typeof body) => unknown)(body) : r;
    if (result instanceof Response) return result;
    return new Response(JSON.stringify(result === undefined ? { jsonrpc: '2.0', id: body.id, error: { code: -32601, message: 'no such method' } } : { jsonrpc: '2.0', id: body.id, result }));
  }) as unknown as typeof fetch;
}

const BRIDGE = '0x0000000000000000000000000000000000b71d6e';
const word = (n: bigint) => n.toString(16).padStart(64, '0');
function burnLog(id: bigint, o: { block?: bigint; address?: string; tx?: string; amount?: bigint } = {}) {
  const script = '0014' + 'ab'.repeat(20);
  return {
    address: o.address ?? BRIDGE,
    topics: [WITHDRAWAL_REQUESTED_TOPIC, `0x${word(id)}`, `0x${word(0x1234n)}`],
    data: `0x${word(96n)}${word(o.amount ?? 50_000n)}${word(2_000n)}${word(22n)}${script.padEnd(64, '0')}`,
    blockNumber: `0x${(o.block ?? 5n).toString(16)}`,
    blockHash: `0x${'cd'.repeat(32)}`,
    transactionHash: o.tx ?? `0x${word(id + 1000n)}`,
    logIndex: '0x0',
    removed: false,
  };
}

describe('EvmRpcL2View', () => {
  const view = (replies: Record<string, Reply>, depth = 3n) => new EvmRpcL2View({ url: 'http://l2.invalid', finalityDepth: depth, fetch: fakeFetch(replies) });

  it('decodes a final burn and asks only for final blocks, with the ids as an OR of topics', async () => {
    let filter: { toBlock: string; topics: [string, string[]]; address: string } | undefined;
    const v = view({ eth_blockNumber: '0x14', eth_getLogs: (b: { params: unknown[] }) => ((filter = b.params[0] as typeof filter), [burnLog(3n)]) });
    const found = await v.finalWithdrawals([3n, 4n]);
    expect(found.get(3n)).toMatchObject({ id: 3n, amountSats: 50_000n, maxFeeSats: 2_000n, sender: `0x${word(0x1234n).slice(24)}` });
    expect(bytesToHex(found.get(3n)!.btcScriptPubKey)).toBe('0014' + 'ab'.repeat(20));
    expect(found.has(4n)).toBe(false);
    expect(filter?.toBlock).toBe('0x11');
    expect(filter?.address).toBe(BRIDGE);
    expect(filter?.topics[1]).toEqual([`0x${word(3n)}`, `0x${word(4n)}`]);
  });

  it('ignores a log above the final block and a removed one', async () => {
    expect((await view({ eth_blockNumber: '0x14', eth_getLogs: [burnLog(3n, { block: 0x12n })] }).finalWithdrawals([3n])).size).toBe(0);
    expect((await view({ eth_blockNumber: '0x14', eth_getLogs: [{ ...burnLog(3n), removed: true }] }).finalWithdrawals([3n])).size).toBe(0);
  });

  it('refuses malformed answers, logs of another contract, an id emitted twice, and a node that errors or is not JSON-RPC', async () => {
    const cases: Array<[Record<string, Reply>, RegExp]> = [
      [{ eth_blockNumber: '0x14', eth_getLogs: [{ ...burnLog(3n), data: '0x12' }] }, /bad length|malformed/],
      [{ eth_blockNumber: '0x14', eth_getLogs: [{ ...burnLog(3n), blockNumber: 'five' }] }, /malformed logs/],
      [{ eth_blockNumber: '0x14', eth_getLogs: [burnLog(3n, { address: '0x' + '11'.repeat(20) })] }, /not the bridge/],
      [{ eth_blockNumber: '0x14', eth_getLogs: [burnLog(3n), burnLog(3n, { tx: `0x${'ee'.repeat(32)}` })] }, /emitted withdrawal id 3 twice/],
      [{ eth_blockNumber: '0x14', eth_getLogs: [{ ...burnLog(3n), data: `0x${word(96n)}${word(1n << 64n)}${word(1n)}${word(0n)}` }] }, /exceeds uint64/],
      [{ eth_blockNumber: 'latest' }, /hex quantity/],
      [{ eth_blockNumber: () => new Response('<html>', { status: 200 }) }, /not JSON/],
      [{ eth_blockNumber: () => new Response('{}', { status: 502 }) }, /HTTP 502/],
      [{}, /refused eth_blockNumber: no such method/],
    ];
    for (const [replies, message] of cases) await expect(view(replies).finalWithdrawals([3n])).rejects.toThrow(message);
    await expect(new EvmRpcL2View({ url: 'http://127.0.0.1:1', finalityDepth: 0n, timeoutMs: 2_000 }).finalWithdrawals([1n])).rejects.toBeInstanceOf(L2RpcError);
  });

  it('searches older windows when the node limits the block range', async () => {
    const ranges: string[] = [];
    const v = new EvmRpcL2View({
      url: 'http://l2.invalid',
      finalityDepth: 0n,
      maxBlockRange: 10n,
      fetch: fakeFetch({ eth_blockNumber: '0x19', eth_getLogs: (b: { params: unknown[] }) => {
        const f = b.params[0] as { fromBlock: string; toBlock: string };
        ranges.push(`${Number(f.fromBlock)}-${Number(f.toBlock)}`);
        return Number(f.fromBlock) <= 2 && 2 <= Number(f.toBlock) ? [burnLog(1n, { block: 2n })] : [];
      } }),
    });
    expect((await v.finalWithdrawals([1n])).has(1n)).toBe(true);
    expect(ranges).toEqual(['16-25', '6-15', '0-5']);
  });
});

// ---------------------------------------------------------------- Bitcoin

/** A block (not PoW-valid: the signer's store is fed directly) holding `txs`, and merkle proofs into it. */
function chainWith(txs: Transaction[]) {
  const raws = txs.map((t) => encodeTransaction(t));
  const ids = txs.map((t) => computeTxid(t));
  const header = encodeHeader({ version: 4, prevHash: new Uint8Array(32), merkleRoot: computeMerkleRoot(ids).root, time: 1_700_000_000, bits: 0x207fffff, nonce: 0 });
  return { raws, ids: ids.map(hashToHex), header, hash: hashToHex(headerHash(header)), proof: (i: number) => buildMerkleBlockProof(header, ids, i) };
}

function tx(n: number): Transaction {
  return { version: 2, locktime: 0, inputs: [{ prevout: { txid: seeded(`in ${n}`), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }], outputs: [{ value: BigInt(1_000 + n), scriptPubKey: Uint8Array.of(0x51, 0x20, ...seeded(`out ${n}`)) }] };
}

/** A header store holding `hash` at `height` (on the best chain or a side branch), its tip at height 9. */
async function storeWith(hash: string, height: number, inBest = true): Promise<SignerHeaderStore> {
  const store = new SignerHeaderStore();
  store.headers.set(hash, { hash, height, raw: new Uint8Array(80), inBest });
  Object.defineProperty(store, 'tip', { get: () => ({ height: 9, hash: 'ff'.repeat(32) }) });
  return store;
}

describe('SourcesBitcoinView', () => {
  const source = (o: Partial<ViewChainSource>): ViewChainSource => ({
    name: 'fake',
    getRawTransaction: async () => {
      throw new Error('no raw');
    },
    getTxMerkleProof: async () => {
      throw new Error('no proof');
    },
    txStatus: async () => ({ confirmed: true }),
    outspend: async () => ({ spent: false }),
    ...o,
  });

  it('proves a transaction whose merkle proof sits in a block of its own best chain, and only then', async () => {
    const c = chainWith([tx(1), tx(2), tx(3)]);
    const honest = source({ getTxMerkleProof: async (id) => c.proof(c.ids.indexOf(id)), getRawTransaction: async (id) => c.raws[c.ids.indexOf(id)]! });
    const store = await storeWith(c.hash, 7);
    const view = new SourcesBitcoinView({ headers: store, sources: [honest] });
    const ok = await view.provenTransaction(c.ids[1]!);
    expect(ok.ok && ok.value.confirmations).toBe(3);
    expect(ok.ok && ok.value.blockHeight).toBe(7);

    // The same proof, its block not on the signer's best chain (a side branch) or unknown.
    const side = new SourcesBitcoinView({ headers: await storeWith(c.hash, 7, false), sources: [honest] });
    expect(await side.provenTransaction(c.ids[1]!)).toMatchObject({ ok: false, reason: expect.stringMatching(/is not on the signer's best chain/) });
    // A source handing the proof of another transaction, or raw bytes of another transaction.
    const swapped = source({ getTxMerkleProof: async () => c.proof(0), getRawTransaction: async (id) => c.raws[c.ids.indexOf(id)]! });
    expect(await new SourcesBitcoinView({ headers: store, sources: [swapped] }).provenTransaction(c.ids[1]!)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not include the transaction/) });
    const wrongRaw = source({ getTxMerkleProof: async (id) => c.proof(c.ids.indexOf(id)), getRawTransaction: async () => c.raws[0]! });
    expect(await new SourcesBitcoinView({ headers: store, sources: [wrongRaw] }).provenTransaction(c.ids[1]!)).toMatchObject({ ok: false, reason: expect.stringMatching(/has txid/) });
    // A lying source first, an honest one second: the honest proof wins.
    expect((await new SourcesBitcoinView({ headers: store, sources: [swapped, honest] }).provenTransaction(c.ids[2]!)).ok).toBe(true);
  });

  it('spent if any source says so, and refuses to answer when no source can', async () => {
    const unspent = source({});
    const spentMempool = source({ name: 'b', outspend: async () => ({ spent: true, confirmed: false }) });
    const spentChain = source({ name: 'c', outspend: async () => ({ spent: true, txid: 'ab'.repeat(32), confirmed: true }) });
    const broken = source({ name: 'd', outspend: async () => Promise.reject(new Error('down')) });
    const store = new SignerHeaderStore();
    const id = 'aa'.repeat(32);
    expect(await new SourcesBitcoinView({ headers: store, sources: [unspent, broken] }).outputSpend(id, 0)).toEqual({ spent: false });
    expect(await new SourcesBitcoinView({ headers: store, sources: [unspent, spentMempool, spentChain] }).outputSpend(id, 0)).toEqual({ spent: true, spender: 'ab'.repeat(32), confirmed: true });
    await expect(new SourcesBitcoinView({ headers: store, sources: [broken] }).outputSpend(id, 0)).rejects.toThrow(/no Bitcoin source could tell .* \(d: down\)/);
  });
});
