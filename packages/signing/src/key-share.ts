/** A signer's share of the group key after the DKG, and its file form (secret encrypted, the rest authenticated). */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { GroupKey, G, pointToCompressed, scalarFromBytesNonzeroChecked } from '@tapbridge/frost';
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
  return { index, secshare: secret, groupKey, hostPubkeys: hostPubkeys.map((p) => hexToBytes(p)), recoveryData: hexToBytes(recoveryData) };
}
