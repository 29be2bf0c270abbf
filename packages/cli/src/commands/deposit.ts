// `tapbridge deposit address | reclaim-tx | reclaim-finalize`: derive a per-deposit P2TR address, and build the
// depositor's reclaim transaction: signed here (the secret key is read from a file or the environment, never argv,
// so it does not end up in shell history or the process list), or as a PSBT (`--psbt`) for the depositor's own
// wallet or hardware device to sign, then turned into the network transaction by `reclaim-finalize`.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  addressParams,
  addressToOutputScript,
  buildReclaimTx,
  bytesToHex,
  depositAddress,
  finalizeReclaimPsbt,
  hexToBytes,
  reclaimPsbt,
  type UnsignedReclaimParams,
  type DepositAddress,
  type LeafSpendInfo,
} from '@tapbridge/bitcoin';

/** A problem with the command line itself (missing key source, malformed number). */
export class DepositCommandError extends Error {
  override readonly name = 'DepositCommandError';
}

export const RECLAIM_KEY_ENV = 'TAPBRIDGE_RECLAIM_KEY';

export interface DepositAddressOptions {
  network: string;
  groupKey: string;
  recipient: string;
  maxFee: string;
  reclaimKey: string;
  lockBlocks: string;
}

function parseSats(value: string, what: string): bigint {
  if (!/^\d+$/.test(value)) throw new DepositCommandError(`${what} must be a whole number of satoshis, got "${value}"`);
  return BigInt(value);
}

function parseUint(value: string, what: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new DepositCommandError(`${what} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

function parseHexKey(value: string, what: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(value.trim())) throw new DepositCommandError(`${what} must be 64 hex characters (32 bytes)`);
  return hexToBytes(value.trim().toLowerCase());
}

const leafJson = (leaf: LeafSpendInfo): Record<string, string | number> => ({
  script: bytesToHex(leaf.script),
  leafVersion: leaf.leafVersion,
  leafHash: bytesToHex(leaf.leafHash),
  controlBlock: bytesToHex(leaf.controlBlock),
});

export function depositAddressJson(network: string, d: DepositAddress): Record<string, unknown> {
  return {
    network,
    address: d.address,
    scriptPubKey: bytesToHex(d.scriptPubKey),
    internalKey: bytesToHex(d.internalKey),
    outputKey: bytesToHex(d.outputKey),
    merkleRoot: bytesToHex(d.merkleRoot),
    leaves: { deposit: leafJson(d.depositLeaf), reclaim: leafJson(d.reclaimLeaf) },
  };
}

export function runDepositAddress(opts: DepositAddressOptions): Record<string, unknown> {
  const { network } = addressParams(opts.network);
  const d = depositAddress({
    network,
    groupKey: parseHexKey(opts.groupKey, '--group-key'),
    recipient: opts.recipient,
    maxFee: parseSats(opts.maxFee, '--max-fee'),
    reclaimKey: parseHexKey(opts.reclaimKey, '--reclaim-key'),
    lockBlocks: parseUint(opts.lockBlocks, '--lock-blocks'),
  });
  return depositAddressJson(network, d);
}

export interface ReclaimTxOptions {
  network: string;
  txid: string;
  vout: string;
  amount: string;
  depositScript: string;
  reclaimScript: string;
  to: string;
  feeRate: string;
  keyFile?: string;
  lockBlocks?: string;
  /** Emit an unsigned PSBT instead of signing here. */
  psbt?: boolean;
  /** With --psbt: the reclaim key's BIP32 origin in the depositor's wallet, `<fingerprint hex>/<path>`. */
  keyOrigin?: string;
}

export interface ReclaimFinalizeOptions extends Omit<ReclaimTxOptions, 'keyFile' | 'psbt' | 'keyOrigin'> {
  /** The signed PSBT: base64, or @<path> of a file holding it. */
  psbt: string;
}

/** The depositor key: --key-file wins, else the environment variable; both hold 64 hex characters. */
export function readReclaimKey(keyFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  let source: string;
  let text: string | undefined;
  if (keyFile !== undefined) {
    source = `key file ${keyFile}`;
    text = readFileSync(keyFile, 'utf8');
  } else {
    source = `$${RECLAIM_KEY_ENV}`;
    text = env[RECLAIM_KEY_ENV];
    if (text === undefined || text.trim() === '') throw new DepositCommandError(`no reclaim key: pass --key-file <path> or set ${RECLAIM_KEY_ENV}`);
  }
  return parseHexKey(text, source);
}

function unsignedReclaimParams(opts: Omit<ReclaimTxOptions, 'keyFile' | 'psbt' | 'keyOrigin'>): UnsignedReclaimParams {
  const { network } = addressParams(opts.network);
  const feeRate = Number(opts.feeRate);
  if (!/^\d+(\.\d+)?$/.test(opts.feeRate) || !(feeRate > 0)) throw new DepositCommandError(`--fee-rate must be a positive number of sat/vB, got "${opts.feeRate}"`);
  return {
    deposit: { txid: opts.txid, vout: parseUint(opts.vout, '--vout'), value: parseSats(opts.amount, '--amount') },
    depositScript: hexToBytes(opts.depositScript),
    reclaimScript: hexToBytes(opts.reclaimScript),
    destinationScriptPubKey: addressToOutputScript(opts.to, network),
    feeRate,
    ...(opts.lockBlocks === undefined ? {} : { lockBlocks: parseUint(opts.lockBlocks, '--lock-blocks') }),
  };
}

function parseKeyOrigin(value: string): { masterFingerprint: Uint8Array; path: string } {
  const m = /^([0-9a-fA-F]{8})\/(m(?:\/\d+'?)*)$/.exec(value.trim());
  if (!m) throw new DepositCommandError(`--key-origin must be <8 hex fingerprint>/m/…, e.g. d34db33f/m/86'/1'/0'/0/0, got "${value}"`);
  return { masterFingerprint: hexToBytes(m[1]!.toLowerCase()), path: m[2]! };
}

export function runReclaimTx(opts: ReclaimTxOptions, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const params = unsignedReclaimParams(opts);
  if (opts.psbt) {
    const { psbt, unsigned } = reclaimPsbt({ ...params, ...(opts.keyOrigin ? { keyOrigin: parseKeyOrigin(opts.keyOrigin) } : {}) });
    return {
      psbt,
      signWith: bytesToHex(unsigned.depositorKey),
      vsize: unsigned.vsize,
      fee: unsigned.fee.toString(),
      sequence: unsigned.sequence,
      next: 'sign the PSBT in your wallet, then: tapbridge deposit reclaim-finalize <same options> --psbt <signed base64 or @file>',
    };
  }
  if (opts.keyOrigin) throw new DepositCommandError('--key-origin goes with --psbt');
  const r = buildReclaimTx({ ...params, depositorSecretKey: readReclaimKey(opts.keyFile, env) });
  return { txid: r.txid, hex: r.hex, vsize: r.vsize, fee: r.fee.toString(), sequence: r.sequence };
}

export function runReclaimFinalize(opts: ReclaimFinalizeOptions): Record<string, unknown> {
  const text = opts.psbt.startsWith('@') ? readFileSync(opts.psbt.slice(1), 'utf8') : opts.psbt;
  const r = finalizeReclaimPsbt(text, unsignedReclaimParams(opts));
  return { txid: r.txid, hex: r.hex, vsize: r.vsize, fee: r.fee.toString(), sequence: r.sequence };
}

function report(run: () => Record<string, unknown>): void {
  try {
    console.log(JSON.stringify(run(), null, 2));
  } catch (e) {
    console.error(`error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    process.exitCode = 1;
  }
}

export function registerDeposit(program: Command): void {
  const deposit = program.command('deposit').description('per-deposit taproot addresses and the reclaim escape hatch');
  deposit
    .command('address')
    .description('derive the P2TR deposit address (NUMS internal key; deposit leaf + reclaim leaf)')
    .requiredOption('--network <net>', 'mainnet | testnet | testnet4 | signet | regtest')
    .requiredOption('--group-key <hex>', 'custody (FROST group) x-only public key')
    .requiredOption('--recipient <0x…>', 'EVM address credited on mint')
    .requiredOption('--max-fee <sats>', 'most the signers may charge to sweep this deposit')
    .requiredOption('--reclaim-key <hex>', "depositor's x-only public key for the reclaim leaf")
    .requiredOption('--lock-blocks <n>', 'blocks before the depositor may reclaim (1..65535)')
    .action((opts: DepositAddressOptions) => report(() => runDepositAddress(opts)));
  deposit
    .command('reclaim-tx')
    .description(`build and sign the reclaim transaction (key from --key-file or $${RECLAIM_KEY_ENV})`)
    .requiredOption('--network <net>', 'mainnet | testnet | testnet4 | signet | regtest')
    .requiredOption('--txid <hex>', 'deposit transaction id')
    .requiredOption('--vout <n>', 'deposit output index')
    .requiredOption('--amount <sats>', 'deposit output value')
    .requiredOption('--deposit-script <hex>', 'the deposit leaf script (sibling in the control block)')
    .requiredOption('--reclaim-script <hex>', 'the reclaim leaf script')
    .requiredOption('--to <address>', 'destination address')
    .requiredOption('--fee-rate <sat/vB>', 'fee rate; fee = rate × vsize, rounded up')
    .option('--key-file <path>', 'file holding the 32-byte depositor secret key as hex')
    .option('--lock-blocks <n>', 'expected lock; refused if the reclaim script says otherwise')
    .option('--psbt', 'print an unsigned PSBT (BIP174/371) for your own wallet to sign instead of signing here')
    .option('--key-origin <fp/path>', "with --psbt: the reclaim key's BIP32 origin, e.g. d34db33f/m/86'/1'/0'/0/0, for hardware devices")
    .action((opts: ReclaimTxOptions) => report(() => runReclaimTx(opts)));
  deposit
    .command('reclaim-finalize')
    .description('check a wallet-signed reclaim PSBT against the reclaim it must be, and print the transaction to broadcast')
    .requiredOption('--network <net>', 'mainnet | testnet | testnet4 | signet | regtest')
    .requiredOption('--txid <hex>', 'deposit transaction id')
    .requiredOption('--vout <n>', 'deposit output index')
    .requiredOption('--amount <sats>', 'deposit output value')
    .requiredOption('--deposit-script <hex>', 'the deposit leaf script')
    .requiredOption('--reclaim-script <hex>', 'the reclaim leaf script')
    .requiredOption('--to <address>', 'destination address (as given to reclaim-tx --psbt)')
    .requiredOption('--fee-rate <sat/vB>', 'fee rate (as given to reclaim-tx --psbt)')
    .requiredOption('--psbt <base64|@file>', 'the signed PSBT')
    .option('--lock-blocks <n>', 'expected lock; refused if the reclaim script says otherwise')
    .action((opts: ReclaimFinalizeOptions) => report(() => runReclaimFinalize(opts)));
}
