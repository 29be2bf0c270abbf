// `tapbridge block scan`: parse a raw block, check its header commitments, and list the outputs paying
// any watched address or scriptPubKey, as the deposit indexer does for every block.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  addressParams,
  addressToOutputScript,
  blockCommitmentStatus,
  bytesToHex,
  coinbaseHeight,
  hashToHex,
  hexToBytes,
  outputScriptToAddress,
  parseBlock,
  scanBlock,
} from '@tapbridge/bitcoin';

export interface BlockScanOptions {
  file: string;
  network: string;
  watch: string;
}

const HEX_RE = /^[0-9a-fA-F]+$/;

/** A block file holds either raw bytes or their hex (getblock <hash> 0 output); hex is all ASCII hex digits. */
export function readBlockFile(file: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(file));
  const text = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 4096))).toString('latin1').trim();
  if (text.length > 0 && HEX_RE.test(text)) return hexToBytes(Buffer.from(bytes).toString('latin1').trim());
  return bytes;
}

/**
 * One address or scriptPubKey hex per line; blank lines and `#` comments are skipped. A line of only hex
 * digits is taken as a scriptPubKey, anything else must be an address on the network.
 */
export function readWatchFile(file: string, network: string): Set<string> {
  const watch = new Set<string>();
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      try {
        watch.add(HEX_RE.test(line) ? bytesToHex(hexToBytes(line)) : bytesToHex(addressToOutputScript(line, network)));
      } catch (e) {
        throw new Error(`${file}:${i + 1}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    });
  return watch;
}

export interface BlockScanReport {
  network: string;
  blockHash: string;
  height: number | null;
  txCount: number;
  merkleRootValid: boolean;
  /** False also when the block has no witness commitment (then `errors` says whether that is allowed). */
  witnessCommitmentValid: boolean;
  errors: { code: string; message: string }[];
  watched: number;
  matches: { txid: string; vout: number; value: string; address: string | null; scriptPubKey: string }[];
}

export function runBlockScan(opts: BlockScanOptions): BlockScanReport {
  const { network } = addressParams(opts.network);
  const watch = readWatchFile(opts.watch, network);
  const block = parseBlock(readBlockFile(opts.file));
  const status = blockCommitmentStatus(block);
  const matches = scanBlock(block, watch).map((m) => ({
    txid: m.txid,
    vout: m.vout,
    value: m.value.toString(),
    address: outputScriptToAddress(hexToBytes(m.scriptPubKey), network) ?? null,
    scriptPubKey: m.scriptPubKey,
  }));
  return {
    network,
    blockHash: hashToHex(block.hash),
    height: coinbaseHeight(block) ?? null,
    txCount: block.txs.length,
    merkleRootValid: status.merkleRootValid,
    witnessCommitmentValid: status.witnessCommitmentValid,
    errors: status.errors,
    watched: watch.size,
    matches,
  };
}

export function registerBlock(program: Command): void {
  const block = program.command('block').description('full-block tools');
  block
    .command('scan')
    .description('check a raw block’s merkle root and witness commitment and list outputs paying watched scripts')
    .requiredOption('--file <path>', 'raw block, binary or hex')
    .requiredOption('--network <net>', 'mainnet | testnet | testnet4 | signet | regtest')
    .requiredOption('--watch <path>', 'addresses or scriptPubKey hex, one per line')
    .action((opts: BlockScanOptions) => {
      try {
        const result = runBlockScan(opts);
        console.log(JSON.stringify(result, null, 2));
        if (result.errors.length > 0) process.exitCode = 1;
      } catch (e) {
        console.error(`error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
        process.exitCode = 1;
      }
    });
}
