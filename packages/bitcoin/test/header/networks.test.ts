import { describe, expect, it } from 'vitest';
import { hexToBytes, hexToHash } from '../../src/bytes.js';
import { decodeHeader, headerHashHex } from '../../src/header/codec.js';
import { bitsToHex } from '../../src/header/compact.js';
import {
  NETWORKS,
  UnknownConsensusNetworkError,
  networkParams,
  type NetworkName,
} from '../../src/header/networks.js';
import { checkProofOfWork } from '../../src/header/pow.js';
import { hasBitcoinData, readJson } from './fixtures.js';

interface NetworkJson {
  genesisHash: string;
  genesisHeader: string;
  genesisBits: string;
  powTargetSpacing: number;
  powTargetTimespan: number;
  difficultyAdjustmentInterval: number;
  powLimit: string;
  powLimitBits: string;
  allowMinDifficultyBlocks: boolean;
  noRetargeting: boolean;
  enforceBIP94: boolean;
  bip34Height: number;
  bip65Height: number;
  bip66Height: number;
}

describe.skipIf(!hasBitcoinData)('network parameters agree with networks.json (Core chainparams) (needs ../shared/bitcoin-data)', () => {
  const json = readJson<{ networks: Record<string, NetworkJson> }>('networks.json').networks;

  it.each(Object.keys(NETWORKS))('%s', (name) => {
    const ours = NETWORKS[name as NetworkName];
    const theirs = json[name]!;
    expect(theirs, `networks.json has ${name}`).toBeDefined();
    expect(ours.genesisHeader).toBe(theirs.genesisHeader);
    expect(ours.genesisHash).toBe(theirs.genesisHash);
    expect(ours.powLimit).toBe(BigInt('0x' + theirs.powLimit));
    expect(bitsToHex(ours.powLimitBits)).toBe(theirs.powLimitBits);
    expect(ours.powTargetSpacing).toBe(theirs.powTargetSpacing);
    expect(ours.powTargetTimespan).toBe(theirs.powTargetTimespan);
    expect(ours.difficultyAdjustmentInterval).toBe(theirs.difficultyAdjustmentInterval);
    expect(ours.allowMinDifficultyBlocks).toBe(theirs.allowMinDifficultyBlocks);
    expect(ours.noRetargeting).toBe(theirs.noRetargeting);
    expect(ours.enforceBIP94).toBe(theirs.enforceBIP94);
    expect(ours.bip34Height).toBe(theirs.bip34Height);
    expect(ours.bip65Height).toBe(theirs.bip65Height);
    expect(ours.bip66Height).toBe(theirs.bip66Height);
  });
});

describe('network parameters', () => {
  it.each(Object.keys(NETWORKS))(
    '%s genesis hashes to its hash, meets its own target and sits at powLimit',
    (name) => {
      const p = NETWORKS[name as NetworkName];
      const raw = hexToBytes(p.genesisHeader);
      expect(headerHashHex(raw)).toBe(p.genesisHash);
      expect(checkProofOfWork(hexToHash(p.genesisHash), decodeHeader(raw).bits, p)).toBe(true);
      expect(decodeHeader(raw).bits).toBe(p.powLimitBits);
    },
  );
  it('looks networks up by name and Core alias, and rejects unknown names', () => {
    expect(networkParams('main').name).toBe('mainnet');
    expect(networkParams('test').name).toBe('testnet3');
    expect(networkParams('testnet4').enforceBIP94).toBe(true);
    expect(() => networkParams('litecoin')).toThrow(UnknownConsensusNetworkError);
  });
});
