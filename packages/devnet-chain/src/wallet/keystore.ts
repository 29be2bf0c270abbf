import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import { crypto as bcrypto } from 'bitcoinjs-lib';
import { bytesToHex, encodeSegwitAddress, hexToBytes, taprootOutput, witnessScript } from '@tapbridge/bitcoin';
import { z } from 'zod';
import { REGTEST_PARAMS } from '../params.js';

/** Core's getnewaddress address_type values the devnet supports. */
export type WalletAddressType = 'bech32' | 'bech32m';

export interface WalletKey {
  secretKey: Uint8Array;
  type: WalletAddressType;
  label: string;
  /** The output script this key pays to. */
  script: Uint8Array;
  address: string;
  /** Change keys are not handed out by getnewaddress. */
  change: boolean;
}

export const walletFileSchema = z.object({
  version: z.literal(1),
  warning: z.string().optional(),
  keys: z.array(
    z.object({
      secretKey: z.string().regex(/^[0-9a-f]{64}$/),
      type: z.enum(['bech32', 'bech32m']),
      label: z.string(),
      change: z.boolean(),
    }),
  ),
});
export type WalletFile = z.infer<typeof walletFileSchema>;

function deriveKey(secretKey: Uint8Array, type: WalletAddressType, label: string, change: boolean): WalletKey {
  let script: Uint8Array;
  if (type === 'bech32') {
    script = witnessScript(0, bcrypto.hash160(secp256k1.getPublicKey(secretKey, true)));
  } else {
    // BIP86: key path only, internal key = the wallet key.
    script = taprootOutput(schnorr.getPublicKey(secretKey)).scriptPubKey;
  }
  const address = encodeSegwitAddress(REGTEST_PARAMS.bech32Hrp, type === 'bech32' ? 0 : 1, script.subarray(2));
  return { secretKey, type, label, script, address, change };
}

/**
 * A plain, HD-free keystore: random keys kept in the clear in the data dir. A development tool only;
 * there is no encryption because there is nothing of value to protect.
 */
export class Keystore {
  private readonly keys: WalletKey[] = [];
  private readonly byScript = new Map<string, WalletKey>();

  static fromFile(file: WalletFile): Keystore {
    const ks = new Keystore();
    for (const k of file.keys) ks.add(deriveKey(hexToBytes(k.secretKey, 32), k.type, k.label, k.change));
    return ks;
  }

  toFile(): WalletFile {
    return {
      version: 1,
      warning: 'devnet-chain wallet: unencrypted regtest keys, never use for real funds',
      keys: this.keys.map((k) => ({ secretKey: bytesToHex(k.secretKey), type: k.type, label: k.label, change: k.change })),
    };
  }

  private add(key: WalletKey): void {
    this.keys.push(key);
    this.byScript.set(bytesToHex(key.script), key);
  }

  newKey(type: WalletAddressType, label: string, change = false): WalletKey {
    const key = deriveKey(secp256k1.utils.randomSecretKey(), type, label, change);
    this.add(key);
    return key;
  }

  byScriptHex(scriptHex: string): WalletKey | undefined {
    return this.byScript.get(scriptHex);
  }

  all(): readonly WalletKey[] {
    return this.keys;
  }
}
