// `tapbridge headers verify`: check a file of raw headers (one 80-byte header per line, hex) against every
// header rule of a network, as the header watcher would, and report the tip or the first broken rule.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  HEADER_SIZE,
  HeaderChain,
  HeaderRuleError,
  blockWork,
  bytesToHex,
  chainworkFromHex,
  chainworkToHex,
  checkpointFromHeaders,
  decodeHeader,
  headerHashHex,
  hexToBytes,
  networkParams,
  parseCheckpoint,
  type Checkpoint,
} from '@tapbridge/bitcoin';

export interface VerifyOptions {
  network: string;
  file: string;
  checkpoint?: string;
  firstHeight?: number;
  firstChainwork?: string;
  now?: number;
}

export interface VerifyReport {
  network: string;
  count: number;
  first: { height: number; hash: string };
  tip: { height: number; hash: string };
  chainwork: string;
  /** genesis: the file starts at genesis; checkpoint: --checkpoint; first-headers: leading headers taken on trust. */
  start: 'genesis' | 'checkpoint' | 'first-headers';
  /** Leading headers accepted without the full rules (their links and proof of work are still checked). */
  trusted: number;
  /** absolute: real chainwork; from-first-header: work of the file's headers only (no --first-chainwork given). */
  chainworkBasis: 'absolute' | 'from-first-header';
  note?: string;
}

/** A header file problem that is not a consensus rule (bad hex, not consecutive, unknown start height). */
export class HeaderFileError extends Error {
  override readonly name = 'HeaderFileError';
}

function readHeaderFile(file: string): Uint8Array[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Uint8Array[] = [];
  lines.forEach((line, i) => {
    const hex = line.trim();
    if (hex === '') return;
    try {
      out.push(hexToBytes(hex, HEADER_SIZE));
    } catch {
      throw new HeaderFileError(`${file} line ${i + 1}: not an 80-byte header in hex`);
    }
  });
  if (out.length === 0) throw new HeaderFileError(`${file} holds no headers`);
  return out;
}

/** A file named like headers-<first>-<last>.hex whose line count agrees gives its first height. */
function heightFromFileName(file: string, count: number): number | undefined {
  const m = /(\d+)-(\d+)\.[a-z]+$/.exec(path.basename(file));
  if (!m) return undefined;
  const first = Number(m[1]);
  return Number(m[2]) - first + 1 === count ? first : undefined;
}

export function verifyHeaderFile(opts: VerifyOptions): VerifyReport {
  const params = networkParams(opts.network);
  const headers = readHeaderFile(opts.file);
  const now = opts.now === undefined ? undefined : () => opts.now!;

  let checkpoint: Checkpoint | undefined;
  let start: VerifyReport['start'];
  let firstIndex: number; // index of the first header to validate
  let firstHeight: number; // height of headers[0]
  let basis: VerifyReport['chainworkBasis'] = 'absolute';
  let trusted = 0;
  let note: string | undefined;

  if (opts.checkpoint) {
    checkpoint = parseCheckpoint(JSON.parse(readFileSync(opts.checkpoint, 'utf8')) as unknown);
    start = 'checkpoint';
    // The file may begin with the checkpoint header itself or with its child.
    const startsWithCheckpoint = headerHashHex(headers[0]!) === checkpoint.hash;
    firstIndex = startsWithCheckpoint ? 1 : 0;
    firstHeight = checkpoint.height + 1 - firstIndex;
  } else if (bytesToHex(headers[0]!) === params.genesisHeader) {
    start = 'genesis';
    firstIndex = 1;
    firstHeight = 0;
  } else {
    const height = opts.firstHeight ?? heightFromFileName(opts.file, headers.length);
    if (height === undefined)
      throw new HeaderFileError(
        'the first header is not genesis and no --checkpoint was given: pass --first-height <n> (or name the file headers-<first>-<last>.hex)',
      );
    firstHeight = height;
    const firstChainwork = opts.firstChainwork
      ? chainworkFromHex(opts.firstChainwork)
      : blockWork(decodeHeader(headers[0]!).bits);
    if (!opts.firstChainwork) basis = 'from-first-header';
    const derived = checkpointFromHeaders(headers, firstHeight, firstChainwork, params);
    checkpoint = derived.checkpoint;
    trusted = derived.trusted;
    firstIndex = trusted;
    start = 'first-headers';
    note =
      `no checkpoint given: the first ${trusted} headers (to height ${checkpoint.height}) are taken as the checkpoint, ` +
      'checked for links and proof of work only, because the rules need the 10 timestamps and the epoch start before a header';
  }

  const chain = new HeaderChain(params, { ...(checkpoint ? { checkpoint } : {}), ...(now ? { now } : {}) });
  for (let i = firstIndex; i < headers.length; i++) {
    const height = firstHeight + i;
    let status: string;
    try {
      status = chain.add(headers[i]!).status;
    } catch (e) {
      // A header whose parent is unknown has no height of its own; the file position gives it.
      if (e instanceof HeaderRuleError)
        throw new HeaderRuleError(e.rule, e.height ?? height, e.hash, `${e.detail} (line ${i + 1})`);
      throw e;
    }
    if (status !== 'connected')
      throw new HeaderFileError(
        `line ${i + 1} (height ${height}, ${headerHashHex(headers[i]!)}): ${status}, not the next header of the file`,
      );
  }

  return {
    network: params.name,
    count: headers.length,
    first: { height: firstHeight, hash: headerHashHex(headers[0]!) },
    tip: { height: chain.tip.height, hash: chain.tip.hash },
    chainwork: chainworkToHex(chain.tip.chainwork),
    start,
    trusted,
    chainworkBasis: basis,
    ...(note ? { note } : {}),
  };
}

const parseInteger = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`not a non-negative integer: ${value}`);
  return Number(value);
};

export function registerHeaders(program: Command): void {
  const headers = program
    .command('headers')
    .description('Bitcoin header chain tools (the light-client rules)');
  headers
    .command('verify')
    .description(
      "validate a file of headers (one 80-byte header per line, hex) under a network's header rules",
    )
    .requiredOption('--network <name>', 'mainnet | testnet3 | testnet4 | signet | regtest')
    .requiredOption('--file <path>', 'headers, one per line, consecutive')
    .option('--checkpoint <json>', 'checkpoint file to start from (see Checkpoint in packages/bitcoin)')
    .option(
      '--first-height <n>',
      'height of the first header when it is neither genesis nor after a checkpoint',
      parseInteger,
    )
    .option(
      '--first-chainwork <hex>',
      'chainwork at the first header, to report absolute chainwork without a checkpoint',
    )
    .option('--now <unix>', 'clock for the future-time rule (default: system time)', parseInteger)
    .action((opts: VerifyOptions) => {
      try {
        console.log(JSON.stringify(verifyHeaderFile(opts), null, 2));
      } catch (e) {
        if (e instanceof HeaderRuleError) {
          console.error(`invalid header: ${e.message}`);
          console.log(
            JSON.stringify(
              { ok: false, rule: e.rule, height: e.height, hash: e.hash, message: e.message },
              null,
              2,
            ),
          );
        } else {
          console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
        }
        process.exitCode = 1;
      }
    });
}
