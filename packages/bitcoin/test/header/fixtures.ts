// Test helpers: the shared real-data directory (beside the repo, never copied into it) and regtest mining.
import fs from 'node:fs';
import path from 'node:path';
import { hexToBytes } from '../../src/bytes.js';
import { encodeHeader, headerHash, type BlockHeader } from '../../src/header/codec.js';
import { checkProofOfWork } from '../../src/header/pow.js';
import type { NetworkParams } from '../../src/header/networks.js';
import { sharedPath } from '@tapbridge/testing';

export const bitcoinData = sharedPath('bitcoin-data');
export const hasBitcoinData = fs.existsSync(bitcoinData);
export const skipMessage = `real data not found at ${bitcoinData}; skipping`;

export function readJson<T>(relative: string): T {
  return JSON.parse(fs.readFileSync(path.join(bitcoinData, relative), 'utf8')) as T;
}

export const MAINNET_FILE = 'mainnet/headers-822528-830592.hex';
export const MAINNET_FIRST_HEIGHT = 822528;

export function readHeaderLines(relative: string): Uint8Array[] {
  return fs
    .readFileSync(path.join(bitcoinData, relative), 'utf8')
    .trim()
    .split('\n')
    .map((line) => hexToBytes(line.trim()));
}

export interface HeaderJson {
  height: number;
  hash: string;
  header: string;
  time: number;
  bits: string;
}

/** Grind the nonce until the header meets its target: instant at regtest's 207fffff (about 2 tries). */
export function mine(params: NetworkParams, fields: Omit<BlockHeader, 'nonce'>): Uint8Array {
  for (let nonce = 0; nonce <= 0xffffffff; nonce++) {
    const raw = encodeHeader({ ...fields, nonce });
    if (checkProofOfWork(headerHash(raw), fields.bits, params)) return raw;
  }
  throw new Error('no nonce found');
}

/** A regtest-style chain of `count` headers on top of `parent`, `spacing` seconds apart. */
export function mineChain(
  params: NetworkParams,
  parent: { hash: Uint8Array; time: number },
  count: number,
  options: { spacing?: number; salt?: number; version?: number } = {},
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prevHash = parent.hash;
  let time = parent.time;
  for (let i = 0; i < count; i++) {
    time += options.spacing ?? 600;
    const merkleRoot = new Uint8Array(32);
    // Different salts give different merkle roots, so competing branches have different hashes.
    new DataView(merkleRoot.buffer).setUint32(0, options.salt ?? 0);
    const raw = mine(params, {
      version: options.version ?? 0x20000000,
      prevHash,
      merkleRoot,
      time,
      bits: params.powLimitBits,
    });
    out.push(raw);
    prevHash = headerHash(raw);
  }
  return out;
}
