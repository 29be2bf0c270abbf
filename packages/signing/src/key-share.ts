/** A signer's share of the group key after the DKG, and its file form (secret encrypted, the rest authenticated). */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { deriveThreshPubkey, GroupKey, G, pointToCompressed, scalarFromBytesNonzeroChecked } from '@tapbridge/frost';
import { z } from 'zod';
import { KeyFileError } from './errors.js';
import { openKeyFile, sealKeyFile } from './key-file.js';
import { hexBytes, point33 } from './wire.js';

export interface KeyShare {
  /** 1-based signer index; the FROST participant id is index − 1. */
  readonly index: number;
  readonly secshare: Uint8Array;
  readonly groupKey: GroupKey;
  readonly hostPubkeys: readonly Uint8Array[];
  /** ChillDKG recovery data: with the host key it restores the share. */
  readonly recoveryData: Uint8Array;
}

const shareMetaSchema = z.object({
  t: z.number().int().positive(),
  n: z.number().int().positive(),
  pubshares: z.array(point33),
  hostPubkeys: z.array(point33),
  recoveryData: hexBytes,
});

/**
 * Checks that the public shares lie on one polynomial of degree t − 1 whose constant term is the threshold key.
 * GroupKey.fromShares trusts its input (it skips BIP445's per-session re-interpolation), so anything loaded from
 * storage passes here first. The first t shares fix the polynomial; each further share j is checked by
 * interpolating shares 1..t−1 and j at zero. Returns why it fails, or null.
 */
export function pubsharesMismatch(groupKey: GroupKey): string | null {
  const { t, n } = groupKey;
  const points = groupKey.pubsharePoints;
  const base = Array.from({ length: t - 1 }, (_, i) => i);
  const expected = bytesToHex(groupKey.threshPk);
  for (let j = t - 1; j < n; j++) {
    const ids = [...base, j];
    const Q = deriveThreshPubkey(ids, ids.map((i) => points[i] as (typeof points)[number]));
    if (Q.is0() || bytesToHex(Q.toBytes(true)) !== expected) return `the public shares of signers ${ids.map((i) => i + 1).join(', ')} do not interpolate to the group key`;
  }
  return null;
}

export async function sealKeyShare(share: KeyShare, passphrase: string): Promise<string> {
  return sealKeyFile(
    {
      kind: 'key-share',
      signerIndex: share.index,
      groupKey: bytesToHex(share.groupKey.threshPk),
      secret: share.secshare,
      meta: {
        t: share.groupKey.t,
        n: share.groupKey.n,
        pubshares: share.groupKey.pubshares.map(bytesToHex),
        hostPubkeys: share.hostPubkeys.map(bytesToHex),
        recoveryData: bytesToHex(share.recoveryData),
      },
    },
    passphrase,
  );
}

/** Opens a key share file and checks the share matches the public share recorded for this signer. */
export async function openKeyShare(text: string, passphrase: string, index: number, source?: string): Promise<KeyShare> {
  const where = source ?? 'key share file';
  const { header, secret } = await openKeyFile(text, passphrase, { kind: 'key-share', signerIndex: index, source: where });
  const meta = shareMetaSchema.safeParse(header.meta);
  if (!meta.success || header.groupKey === null) throw new KeyFileError(`${where} has no valid group description`);
  const { t, n, pubshares, hostPubkeys, recoveryData } = meta.data;
  const groupKey = GroupKey.fromShares({ n, t, threshPk: hexToBytes(header.groupKey), pubshares: pubshares.map((p) => hexToBytes(p)) });
  let d: bigint;
  try {
    d = scalarFromBytesNonzeroChecked(secret, 'secret share');
  } catch {
    throw new KeyFileError(`${where} holds an out-of-range secret share`);
  }
  if (bytesToHex(pointToCompressed(G.multiply(d))) !== pubshares[index - 1]) throw new KeyFileError(`${where}: the share does not match signer ${index}'s public share`);
  const mismatch = pubsharesMismatch(groupKey);
  if (mismatch) throw new KeyFileError(`${where}: ${mismatch}`);
  return { index, secshare: secret, groupKey, hostPubkeys: hostPubkeys.map((p) => hexToBytes(p)), recoveryData: hexToBytes(recoveryData) };
}
