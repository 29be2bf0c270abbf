import type { BlockHeader } from './codec.js';

/** A header known to a HeaderChain, valid under every rule a headers-only client can check. */
export interface HeaderEntry {
  readonly height: number;
  /** Block hash in display order. */
  readonly hash: string;
  readonly header: BlockHeader;
  /** The 80 bytes as received: a read-only view into the chain's storage (copy it to keep it apart). */
  readonly raw: Uint8Array;
  /** Cumulative work of the chain ending here, genesis included (getblockheader .chainwork). */
  readonly chainwork: bigint;
}
