// Fetching consecutive headers from one source, a bounded number of requests in flight.
import pMap from 'p-map';
import { HEADER_SIZE, headerHashHex } from '@tapbridge/bitcoin';
import { SourceDataError } from './errors.js';
import type { HeaderSource } from './source.js';

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The source's best-chain headers at heights `from`…`to`: the hash at each height, then the header for that hash.
 * A header that is not 80 bytes or does not hash to the hash asked for throws SourceDataError (what the source
 * said is data, not truth: consensus rules are checked later by the HeaderChain).
 */
export async function fetchHeaderRange(source: HeaderSource, from: number, to: number, concurrency: number): Promise<Uint8Array[]> {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from)
    throw new RangeError(`invalid header range ${from}…${to}`);
  if (source.getHeaderRange) return checkedRange(source, from, await source.getHeaderRange(from, to - from + 1), to - from + 1);
  return pMap(Array.from({ length: to - from + 1 }, (_, i) => from + i), async (height) => {
    const hash = await blockHashAt(source, height);
    return headerFor(source, height, hash);
  }, { concurrency });
}

/**
 * A bulk answer must be exactly the headers asked for, 80 bytes each. Whether each is the one at its height is
 * proven by the chain: the first must link to our header at from-1 and each to the one before it.
 */
function checkedRange(source: HeaderSource, from: number, raws: unknown, count: number): Uint8Array[] {
  if (!Array.isArray(raws) || raws.length !== count)
    throw new SourceDataError(source.name, 'malformed-header', from, '', `asked for ${count} headers, got ${Array.isArray(raws) ? raws.length : typeof raws}`);
  for (let i = 0; i < count; i++) {
    const raw: unknown = raws[i];
    if (!(raw instanceof Uint8Array) || raw.length !== HEADER_SIZE)
      throw new SourceDataError(source.name, 'malformed-header', from + i, '',
        `expected ${HEADER_SIZE} bytes, got ${raw instanceof Uint8Array ? raw.length : typeof raw}`);
  }
  return raws as Uint8Array[];
}

export async function blockHashAt(source: HeaderSource, height: number): Promise<string> {
  const hash = await source.getBlockHash(height);
  if (typeof hash !== 'string' || !HEX64.test(hash.toLowerCase()))
    throw new SourceDataError(source.name, 'malformed-header', height, String(hash).slice(0, 80), 'block hash is not 32 bytes of hex');
  return hash.toLowerCase();
}

export async function headerFor(source: HeaderSource, height: number, hash: string): Promise<Uint8Array> {
  const raw = await source.getHeader(hash);
  if (!(raw instanceof Uint8Array) || raw.length !== HEADER_SIZE)
    throw new SourceDataError(source.name, 'malformed-header', height, hash,
      `expected ${HEADER_SIZE} bytes, got ${raw instanceof Uint8Array ? raw.length : typeof raw}`);
  const actual = headerHashHex(raw);
  if (actual !== hash) throw new SourceDataError(source.name, 'hash-mismatch', height, hash, `the header served hashes to ${actual}`);
  return raw;
}
