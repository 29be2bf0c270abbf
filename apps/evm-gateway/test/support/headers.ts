// A stand-in for the header-watcher's NATS API (rpc.btc.headers.get / .tip, apps/header-watcher/src/headers.rpc.ts),
// answering on the test's stream prefix from the blocks the deposit helpers create, and the merkle proofs
// (Core's merkle-block format) that tie a deposit's txid to those blocks.
import { randomBytes } from 'node:crypto';
import { bytesToHex, computeMerkleRoot, concatBytes, encodeHeader, hashToHex, headerHash, hexToHash, merkleBlockProver, sha256d } from '@tapbridge/bitcoin';
import { RemoteError, serveRequests, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import type { WatcherHeader } from '@tapbridge/evm';

interface KnownBlock {
  header: WatcherHeader;
}

/** Blocks this test process made up, by hash: what the fake watcher knows. */
const blocks = new Map<string, KnownBlock>();

/** Confirmations every made-up block has unless a test says otherwise (the gateway's default minimum is 6). */
export const DEFAULT_CONFIRMATIONS = 6;

function u32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/**
 * A two-transaction Bitcoin block holding `txid` (display hex) at index 0, registered with the fake watcher, and the
 * merkle block proving it: header ‖ nTx=2 ‖ 2 hashes (txid, sibling) ‖ flags 0b011 (root, match, sibling).
 */
export function makeBlock(
  txid: string,
  height: number,
  o: { confirmations?: number; inBest?: boolean; /** false: a block the watcher never heard of */ known?: boolean } = {},
): { blockHash: string; merkleProof: string } {
  const leaf = hexToHash(txid);
  const sibling = randomBytes(32);
  const root = sha256d(concatBytes(leaf, sibling));
  const header = encodeHeader({ version: 0x20000000, prevHash: randomBytes(32), merkleRoot: root, time: 1_767_225_600 + height * 600, bits: 0x207fffff, nonce: randomBytes(4).readUInt32LE() });
  const blockHash = hashToHex(headerHash(header));
  const proof = Buffer.concat([header, u32le(2), Buffer.of(2), leaf, sibling, Buffer.of(1, 0b011)]);
  if (o.known !== false) blocks.set(blockHash, {
    header: {
      height, hash: blockHash, merkleRoot: hashToHex(root), header: bytesToHex(header),
      inBest: o.inBest ?? true, confirmations: o.inBest === false ? 0 : (o.confirmations ?? DEFAULT_CONFIRMATIONS),
    },
  });
  return { blockHash, merkleProof: proof.toString('hex') };
}

/**
 * A made-up Bitcoin block holding all these txids (display hex), as a real block holds many deposits, registered with
 * the fake watcher; and each txid's merkle block proof (Core's format, from the project's one builder).
 */
export function makeBlockOf(txids: readonly string[], height: number): { blockHash: string; merkleProofs: string[] } {
  const leaves = txids.map((t) => hexToHash(t));
  const { root } = computeMerkleRoot(leaves);
  const header = encodeHeader({ version: 0x20000000, prevHash: randomBytes(32), merkleRoot: root, time: 1_767_225_600 + height * 600, bits: 0x207fffff, nonce: randomBytes(4).readUInt32LE() });
  const blockHash = hashToHex(headerHash(header));
  blocks.set(blockHash, {
    header: { height, hash: blockHash, merkleRoot: hashToHex(root), header: bytesToHex(header), inBest: true, confirmations: DEFAULT_CONFIRMATIONS },
  });
  const prove = merkleBlockProver(header, leaves);
  return { blockHash, merkleProofs: leaves.map((_, i) => bytesToHex(prove(i))) };
}

/** What the fake watcher holds for a made-up block. */
export function knownHeader(blockHash: string): WatcherHeader | undefined {
  return blocks.get(blockHash)?.header;
}

/** What the fake watcher says about a block from now on (a reorg takes it off the best chain). */
export function setBlock(blockHash: string, change: Partial<Pick<WatcherHeader, 'inBest' | 'confirmations'>>): void {
  const known = blocks.get(blockHash);
  if (known === undefined) throw new Error(`unknown made-up block ${blockHash}`);
  known.header = { ...known.header, ...change };
  if (change.inBest === false) known.header.confirmations = 0;
}

/** Serves rpc.btc.headers.get (by hash) and .tip on `messaging`'s prefix; returns a stop function. */
export function serveFakeHeaderWatcher(messaging: Messaging): () => void {
  const subs = [
    serveRequests(messaging, 'btc.headers.get', z.object({ heightOrHash: z.union([z.number(), z.string()]) }), async ({ heightOrHash }) => {
      const known = blocks.get(String(heightOrHash));
      if (known === undefined) throw new RemoteError('not_found', `no header with hash ${String(heightOrHash)}`);
      return { ...known.header, prevHash: '00'.repeat(32), version: 0x20000000, time: 0, bits: '207fffff', nonce: 0, chainwork: '00'.repeat(32) };
    }),
    serveRequests(messaging, 'btc.headers.tip', z.object({}).passthrough(), async () => {
      const best = [...blocks.values()].filter((b) => b.header.inBest);
      const height = best.reduce((h, b) => Math.max(h, b.header.height + b.header.confirmations - 1), 0);
      return { height, hash: '00'.repeat(32), merkleRoot: '00'.repeat(32), header: '00'.repeat(80), inBest: true, confirmations: 1 };
    }),
  ];
  return () => subs.forEach((s) => s.unsubscribe());
}
