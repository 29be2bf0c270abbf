import { REGTEST, encodeHeader, checkProofOfWork, decodeHeader, headerHash, headerHashHex } from '@tapbridge/bitcoin';
import { HeaderSync, InMemoryHeaderStore, type Disagreement, type HeaderSource, type HeaderSyncOptions, type Rejection, type ReorgSummary } from '../src/index.js';
import { genesisParent, mineHeaders, parentOf } from '../src/testing/index.js';

export const GENESIS = genesisParent('regtest');
export const hashes = (raws: readonly Uint8Array[]): string[] => raws.map(headerHashHex);
export { mineHeaders, parentOf, REGTEST };

/** A header on `parent` whose hash is above the regtest target: a proof-of-work lie. */
export function unminedHeader(parent: Uint8Array): Uint8Array {
  const p = decodeHeader(parent);
  for (let nonce = 0; ; nonce++) {
    const raw = encodeHeader({ version: 0x20000000, prevHash: headerHash(parent), merkleRoot: new Uint8Array(32).fill(7), time: p.time + 600, bits: REGTEST.powLimitBits, nonce });
    if (!checkProofOfWork(headerHash(raw), REGTEST.powLimitBits, REGTEST)) return raw;
  }
}

export interface Recorded {
  rejections: Rejection[];
  disagreements: Disagreement[];
  reorgs: ReorgSummary[];
  validated: number;
}

export async function openSync(
  store: InMemoryHeaderStore,
  sources: HeaderSource[],
  extra: Partial<HeaderSyncOptions> = {},
): Promise<{ sync: HeaderSync; seen: Recorded }> {
  const seen: Recorded = { rejections: [], disagreements: [], reorgs: [], validated: 0 };
  const sync = await HeaderSync.open({
    network: 'regtest',
    store,
    sources,
    batchSize: 64,
    concurrency: 4,
    observer: {
      rejected: (r) => seen.rejections.push(r),
      disagreement: (d) => seen.disagreements.push(d),
      applied: (_u, reorgs) => seen.reorgs.push(...reorgs),
      validated: (n) => (seen.validated += n),
    },
    ...extra,
  });
  return { sync, seen };
}

/** The best chain above genesis of `raws` mined on genesis. */
export function mainChain(count: number, salt = 0): Uint8Array[] {
  return mineHeaders(REGTEST, GENESIS, count, { salt });
}

export const tipParent = parentOf;
