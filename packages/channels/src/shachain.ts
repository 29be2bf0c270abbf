// BOLT 3 per-commitment secrets: generation from a seed and the compact storage of received secrets (49 slots
// whatever the number of states), so the watchtower can produce the secret of any revoked state.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';

/** Index of the first state: BOLT 3 counts indices down from 2^48 - 1. */
export const SHACHAIN_FIRST_INDEX = (1n << 48n) - 1n;

/** The shachain index of channel state `stateNumber` (0, 1, 2, ...). */
export function shachainIndex(stateNumber: number): bigint {
  if (!Number.isSafeInteger(stateNumber) || stateNumber < 0 || BigInt(stateNumber) > SHACHAIN_FIRST_INDEX)
    throw new ChannelError(`state number ${stateNumber} is not in 0..2^48-1`);
  return SHACHAIN_FIRST_INDEX - BigInt(stateNumber);
}

function deriveSecret(base: Uint8Array, bits: number, index: bigint): Uint8Array {
  let p = Uint8Array.from(base);
  for (let b = bits - 1; b >= 0; b--) {
    if ((index >> BigInt(b)) & 1n) {
      p[b >> 3]! ^= 1 << (b & 7);
      p = Uint8Array.from(sha256(p));
    }
  }
  return p;
}

/** BOLT 3 generate_from_seed(seed, I). */
export function generateFromSeed(seed: Uint8Array, index: bigint): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new ChannelError('shachain seed must be 32 bytes');
  if (index < 0n || index > SHACHAIN_FIRST_INDEX) throw new ChannelError(`shachain index ${index} is not a 48-bit number`);
  return deriveSecret(seed, 48, index);
}

/** The per-commitment secret of a state from the holder's seed. */
export const perCommitmentSecret = (seed: Uint8Array, stateNumber: number): Uint8Array => generateFromSeed(seed, shachainIndex(stateNumber));

interface KnownSecret {
  index: bigint;
  secret: Uint8Array;
}

/** Serializable form of a ShachainStore: what a watchtower persists. */
export interface ShachainStoreJson {
  known: ({ index: string; secret: string } | null)[];
}

/**
 * BOLT 3 "Efficient Per-commitment Secret Storage": received secrets must arrive in order (index counting down);
 * each new one must derive every stored one below its slot, so a peer that sends an inconsistent secret is caught
 * at once, and any old secret can be derived later from at most 49 stored ones.
 */
export class ShachainStore {
  private readonly known: (KnownSecret | null)[] = Array.from({ length: 49 }, () => null);
  private nextIndex: bigint = SHACHAIN_FIRST_INDEX;

  static fromJson(json: ShachainStoreJson): ShachainStore {
    const store = new ShachainStore();
    json.known.forEach((k, i) => {
      if (k) store.known[i] = { index: BigInt(k.index), secret: hexToBytes(k.secret, 32) };
    });
    const lowest = store.known.filter((k): k is KnownSecret => k !== null).reduce<bigint | null>((m, k) => (m === null || k.index < m ? k.index : m), null);
    store.nextIndex = lowest === null ? SHACHAIN_FIRST_INDEX : lowest - 1n;
    return store;
  }

  toJson(): ShachainStoreJson {
    return { known: this.known.map((k) => (k ? { index: k.index.toString(), secret: bytesToHex(k.secret) } : null)) };
  }

  private static slot(index: bigint): number {
    for (let b = 0; b < 48; b++) if ((index >> BigInt(b)) & 1n) return b;
    return 48;
  }

  /** BOLT 3 insert_secret; throws if the secret does not derive the ones already stored. */
  insert(secret: Uint8Array, index: bigint): void {
    if (!(secret instanceof Uint8Array) || secret.length !== 32) throw new ChannelError('per-commitment secret must be 32 bytes');
    if (index !== this.nextIndex) throw new ChannelError(`expected the secret for index ${this.nextIndex}, got ${index}`);
    const slot = ShachainStore.slot(index);
    for (let b = 0; b < slot; b++) {
      const k = this.known[b];
      if (k && bytesToHex(deriveSecret(secret, slot, k.index)) !== bytesToHex(k.secret))
        throw new ChannelError(`secret for index ${index} does not derive the stored secret for index ${k.index}`);
    }
    this.known[slot] = { index, secret: Uint8Array.from(secret) };
    this.nextIndex = index - 1n;
  }

  /** BOLT 3 derive_old_secret; undefined if that secret has not been received. */
  derive(index: bigint): Uint8Array | undefined {
    for (let b = 0; b < this.known.length; b++) {
      const k = this.known[b];
      if (!k) continue;
      const mask = ~((1n << BigInt(b)) - 1n) & SHACHAIN_FIRST_INDEX;
      if ((index & mask) === k.index) return deriveSecret(k.secret, b, index);
    }
    return undefined;
  }

  /** Secret of a revoked state, if the counterparty has revoked it. */
  secretForState(stateNumber: number): Uint8Array | undefined {
    const index = shachainIndex(stateNumber);
    return index > this.nextIndex ? this.derive(index) : undefined;
  }
}
