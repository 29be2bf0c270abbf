// What a node says when it already has a transaction. Broadcasting the same payment twice (a restart, a second
// source, a rebroadcast job) must read as success, not as a failure to pay.
import { bytesToHex } from '@tapbridge/bitcoin';
import type { BroadcastResult, SourceBroadcastReport } from './chain-source.js';
import { BroadcastError, ChainSourceError } from './errors.js';
import { txidOfArgument } from './validate.js';

/** Core's RPC_VERIFY_ALREADY_IN_CHAIN (named RPC_VERIFY_ALREADY_IN_UTXO_SET since v25). */
const RPC_ALREADY_IN_CHAIN = -27;

const ALREADY_KNOWN_PATTERNS = [
  /txn-already-in-mempool/i,
  /txn-already-known/i,
  /txn-same-nonwitness-data-in-mempool/i,
  /already in (?:the )?utxo set/i,
  /already in (?:the )?block ?chain/i,
  /already in (?:the )?mempool/i,
  /already known/i,
];

/** When `error` means "the source already has this transaction" (mempool or chain), the reason; else undefined. */
export function alreadyKnownReason(error: unknown): string | undefined {
  if (!(error instanceof ChainSourceError)) return undefined;
  const f = error.failure;
  if (f.kind === 'rpc') {
    if (f.code === RPC_ALREADY_IN_CHAIN || ALREADY_KNOWN_PATTERNS.some((p) => p.test(f.rpcMessage))) return f.rpcMessage;
    return undefined;
  }
  if (f.kind === 'http' && f.status < 500 && ALREADY_KNOWN_PATTERNS.some((p) => p.test(f.body))) return f.body.trim().slice(0, 200);
  return undefined;
}

/** The caller's transaction as hex plus its txid; a TypeError for anything that does not decode. */
export function broadcastArgument(rawTx: Uint8Array | string): { hex: string; bytes: Uint8Array; txid: string } {
  let bytes: Uint8Array;
  if (typeof rawTx === 'string') {
    if (!/^(?:[0-9a-fA-F]{2})+$/.test(rawTx.trim())) throw new TypeError('rawTx hex must be a non-empty even-length hex string');
    bytes = Uint8Array.from(Buffer.from(rawTx.trim(), 'hex'));
  } else bytes = rawTx;
  const txid = txidOfArgument(bytes);
  return { hex: bytesToHex(bytes), bytes, txid };
}

/** A single source's broadcast, made idempotent: "already have it" becomes an `already-known` success. */
export async function singleSourceBroadcast(source: string, txid: string, send: () => Promise<string>): Promise<BroadcastResult> {
  let report: SourceBroadcastReport;
  try {
    await send();
    report = { source, ok: true, status: 'accepted' };
  } catch (e) {
    const reason = alreadyKnownReason(e);
    if (reason === undefined) {
      if (!(e instanceof ChainSourceError)) throw e;
      throw new BroadcastError(source, txid, [{ source, ok: false, error: e }], e.failure);
    }
    report = { source, ok: true, status: 'already-known', detail: reason };
  }
  return { txid, status: report.status, sources: [report] };
}
