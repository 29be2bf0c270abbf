import fs from 'node:fs';
import path from 'node:path';

/** Regtest network magic, which Core also writes before every record of its blk*.dat files. */
const REGTEST_MAGIC = Buffer.from('fabfb5da', 'hex');
const RECORD_HEADER = 8;

export interface LoadedBlocks {
  blocks: Uint8Array[];
  /** Bytes of an incomplete last record (a crash mid-write), dropped on load. */
  truncatedBytes: number;
}

/**
 * Append-only file of raw blocks in Core's blk*.dat record format (magic, u32 length, block). Every block
 * the node ever accepted is kept, on any branch, so a restart rebuilds the same tree.
 */
export class BlockFile {
  private fd: number | undefined;

  constructor(readonly filePath: string) {}

  static inDir(dataDir: string): BlockFile {
    return new BlockFile(path.join(dataDir, 'blocks.dat'));
  }

  load(): LoadedBlocks {
    if (!fs.existsSync(this.filePath)) return { blocks: [], truncatedBytes: 0 };
    const data = fs.readFileSync(this.filePath);
    const blocks: Uint8Array[] = [];
    let offset = 0;
    while (offset + RECORD_HEADER <= data.length) {
      if (!data.subarray(offset, offset + 4).equals(REGTEST_MAGIC)) throw new Error(`${this.filePath}: bad record magic at offset ${offset}`);
      const length = data.readUInt32LE(offset + 4);
      if (offset + RECORD_HEADER + length > data.length) break;
      blocks.push(new Uint8Array(data.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + length)));
      offset += RECORD_HEADER + length;
    }
    const truncatedBytes = data.length - offset;
    // Cut a torn tail so the next append starts on a record boundary.
    if (truncatedBytes > 0) fs.truncateSync(this.filePath, offset);
    return { blocks, truncatedBytes };
  }

  append(raw: Uint8Array): void {
    if (this.fd === undefined) {
      fs.mkdirSync(path.dirname(this.filePath), { recursive: true });
      this.fd = fs.openSync(this.filePath, 'a');
    }
    const header = Buffer.alloc(RECORD_HEADER);
    REGTEST_MAGIC.copy(header, 0);
    header.writeUInt32LE(raw.length, 4);
    fs.writeSync(this.fd, Buffer.concat([header, raw]));
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
