import fs from 'node:fs';
import path from 'node:path';
import { ChainStoreError } from '../errors.js';
import type { BlockCommit, MintReconfirmation, MintReorgRecord, StoredLog, StoredReceipt } from './chain-store.js';
import { MemoryChainStore } from './memory-store.js';

// A development store: memory for reads, plus an append-only journal of commits replayed at start. One JSON
// line per block, fsynced before the block becomes visible; a torn last line (crash mid-write) is ignored,
// which loses exactly that uncommitted block. Not for production: Postgres is.

type Json = Record<string, unknown>;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unb64 = (s: string) => Uint8Array.from(Buffer.from(s, 'base64'));

function encodeCommit(c: BlockCommit): Json {
  return {
    type: 'block',
    block: { number: c.block.number.toString(), hash: c.block.hash, rlp: b64(c.block.rlp) },
    stateRoot: c.stateRoot,
    transactions: c.transactions.map((t) => ({ ...t, raw: b64(t.raw), blockNumber: t.blockNumber.toString() })),
    receipts: c.receipts.map((r) => ({
      ...r,
      blockNumber: r.blockNumber.toString(),
      cumulativeGasUsed: r.cumulativeGasUsed.toString(),
      gasUsed: r.gasUsed.toString(),
      effectiveGasPrice: r.effectiveGasPrice.toString(),
      logs: r.logs.map((l) => ({ ...l, blockNumber: l.blockNumber.toString() })),
    })),
    mints: c.mints.map((m) => ({ ...m, amountSats: m.amountSats.toString(), blockNumber: m.blockNumber.toString(), withdrawalIndex: m.withdrawalIndex.toString() })),
    trieNodes: Object.fromEntries([...c.trieNodes].map(([k, v]) => [k, b64(v)])),
    nextWithdrawalIndex: c.nextWithdrawalIndex.toString(),
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- decoding our own journal format, checked by shape on use */
function decodeCommit(j: any): BlockCommit {
  return {
    block: { number: BigInt(j.block.number), hash: j.block.hash, rlp: unb64(j.block.rlp) },
    stateRoot: j.stateRoot,
    transactions: j.transactions.map((t: any) => ({ ...t, raw: unb64(t.raw), blockNumber: BigInt(t.blockNumber) })),
    receipts: j.receipts.map(
      (r: any): StoredReceipt => ({
        ...r,
        blockNumber: BigInt(r.blockNumber),
        cumulativeGasUsed: BigInt(r.cumulativeGasUsed),
        gasUsed: BigInt(r.gasUsed),
        effectiveGasPrice: BigInt(r.effectiveGasPrice),
        logs: r.logs.map((l: any): StoredLog => ({ ...l, blockNumber: BigInt(l.blockNumber) })),
      }),
    ),
    mints: j.mints.map((m: any) => ({ ...m, amountSats: BigInt(m.amountSats), blockNumber: BigInt(m.blockNumber), withdrawalIndex: BigInt(m.withdrawalIndex) })),
    trieNodes: new Map(Object.entries(j.trieNodes as Record<string, string>).map(([k, v]) => [k, unb64(v)])),
    nextWithdrawalIndex: BigInt(j.nextWithdrawalIndex),
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export class FileChainStore extends MemoryChainStore {
  private constructor(private readonly fd: number) {
    super();
  }

  /** Opens (creating if needed) `<dir>/chain.jsonl` and replays it. */
  static open(dir: string): FileChainStore {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'chain.jsonl');
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : [];
    // Drop a torn tail so new appends start on a clean line.
    let validBytes = 0;
    const entries: unknown[] = [];
    for (const [i, line] of lines.entries()) {
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line));
        validBytes += Buffer.byteLength(line) + 1;
      } catch {
        if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l !== '')) throw new ChainStoreError(`${file} is corrupt at line ${i + 1}`);
        break;
      }
    }
    if (fs.existsSync(file)) fs.truncateSync(file, validBytes);
    const store = new FileChainStore(fs.openSync(file, 'a'));
    for (const entry of entries) {
      const e = entry as { type?: string; depositId?: string; reason?: string; recordedAt?: string; btcBlockHash?: string; detail?: string };
      if (e.type === 'block') {
        const commit = decodeCommit(entry);
        store.checkCommit(commit);
        store.applyCommit(commit);
      } else if (e.type === 'mintReorg' && e.depositId !== undefined) {
        const mint = store.mints.get(e.depositId);
        if (mint !== undefined) {
          store.applyMintReorg({
            depositId: e.depositId, mint, reason: e.reason ?? '', recordedAt: new Date(e.recordedAt ?? 0),
            ...(e.btcBlockHash !== undefined ? { btcBlockHash: e.btcBlockHash } : {}),
          });
        }
      } else if (e.type === 'mintReconfirmed' && e.depositId !== undefined) {
        store.applyMintReconfirmation({ depositId: e.depositId, btcBlockHash: e.btcBlockHash ?? '', detail: e.detail ?? '', recordedAt: new Date(e.recordedAt ?? 0) });
      }
    }
    return store;
  }

  protected override async persistCommit(commit: BlockCommit): Promise<void> {
    this.append(encodeCommit(commit));
  }

  protected override async persistMintReorg(record: MintReorgRecord): Promise<void> {
    this.append({
      type: 'mintReorg', depositId: record.depositId, reason: record.reason, recordedAt: record.recordedAt.toISOString(),
      ...(record.btcBlockHash !== undefined ? { btcBlockHash: record.btcBlockHash } : {}),
    });
  }

  protected override async persistMintReconfirmation(r: MintReconfirmation): Promise<void> {
    this.append({ type: 'mintReconfirmed', depositId: r.depositId, btcBlockHash: r.btcBlockHash, detail: r.detail, recordedAt: r.recordedAt.toISOString() });
  }

  override async close(): Promise<void> {
    await super.close();
    fs.closeSync(this.fd);
  }

  private append(entry: Json): void {
    fs.writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    fs.fsyncSync(this.fd);
  }
}
