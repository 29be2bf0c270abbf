import { bytesToHex } from '@tapbridge/bitcoin';

/** An unspent output as the chain state keeps it (Core's Coin). */
export interface Coin {
  value: bigint;
  script: Uint8Array;
  /** Height of the block that created it. */
  height: number;
  coinbase: boolean;
}

/** Outpoints are keyed "txid:vout" with the txid in display hex, the form RPC callers use. */
export const outpointKey = (txid: string, vout: number): string => `${txid}:${vout}`;

export function parseOutpointKey(key: string): { txid: string; vout: number } {
  const sep = key.lastIndexOf(':');
  return { txid: key.slice(0, sep), vout: Number(key.slice(sep + 1)) };
}

/** OP_RETURN outputs can never be spent, so they never enter the set (Core's IsUnspendable). */
export const isUnspendable = (script: Uint8Array): boolean => script.length > 0 && script[0] === 0x6a;

/**
 * The UTXO set, updated incrementally as blocks connect and disconnect, with a secondary index by
 * scriptPubKey so wallet and address queries do not scan every coin.
 */
export class UtxoSet {
  private readonly coins = new Map<string, Coin>();
  private readonly byScript = new Map<string, Set<string>>();

  get size(): number {
    return this.coins.size;
  }

  get(key: string): Coin | undefined {
    return this.coins.get(key);
  }

  add(key: string, coin: Coin): void {
    if (this.coins.has(key)) throw new Error(`coin ${key} is already unspent`);
    this.coins.set(key, coin);
    const scriptHex = bytesToHex(coin.script);
    let keys = this.byScript.get(scriptHex);
    if (!keys) this.byScript.set(scriptHex, (keys = new Set()));
    keys.add(key);
  }

  remove(key: string): Coin | undefined {
    const coin = this.coins.get(key);
    if (!coin) return undefined;
    this.coins.delete(key);
    const scriptHex = bytesToHex(coin.script);
    const keys = this.byScript.get(scriptHex);
    keys?.delete(key);
    if (keys?.size === 0) this.byScript.delete(scriptHex);
    return coin;
  }

  outpointsForScript(scriptHex: string): string[] {
    return [...(this.byScript.get(scriptHex) ?? [])];
  }

  /** Sum of all unspent values (gettxoutsetinfo's total_amount). */
  totalValue(): bigint {
    let total = 0n;
    for (const coin of this.coins.values()) total += coin.value;
    return total;
  }
}
