// Consensus parameters of the header rules for each network, transcribed from Bitcoin Core
// src/kernel/chainparams.cpp (and BIP94 for testnet4). Written in code on purpose: a node must not read its
// consensus rules from a data file at run time.
import { encodeCompact } from './compact.js';

export type NetworkName = 'mainnet' | 'testnet3' | 'testnet4' | 'signet' | 'regtest';

export interface NetworkParams {
  readonly name: NetworkName;
  /** The genesis block header, 80 bytes as hex. */
  readonly genesisHeader: string;
  /** The genesis block hash in display order. */
  readonly genesisHash: string;
  /** The easiest target a header may claim (consensus.powLimit). */
  readonly powLimit: bigint;
  /** powLimit in compact form, the "minimum difficulty" bits. */
  readonly powLimitBits: number;
  readonly powTargetSpacing: number;
  readonly powTargetTimespan: number;
  /** powTargetTimespan / powTargetSpacing = 2016. */
  readonly difficultyAdjustmentInterval: number;
  /** testnet3/testnet4/regtest: a block more than 2 × spacing after its parent may use powLimitBits. */
  readonly allowMinDifficultyBlocks: boolean;
  /** regtest: bits never change at retarget heights. */
  readonly noRetargeting: boolean;
  /** BIP94 (testnet4): retarget from the epoch's first block, and the time-warp rule at epoch starts. */
  readonly enforceBIP94: boolean;
  /** Heights from which versions below 2 (BIP34), 3 (BIP66) and 4 (BIP65) are rejected. */
  readonly bip34Height: number;
  readonly bip65Height: number;
  readonly bip66Height: number;
}

const SPACING = 10 * 60;
const TIMESPAN = 14 * 24 * 60 * 60;
const DIFF1_LIMIT = (1n << 224n) - 1n; // 00000000ffff…ff

function params(
  p: Omit<
    NetworkParams,
    'powLimitBits' | 'powTargetSpacing' | 'powTargetTimespan' | 'difficultyAdjustmentInterval'
  >,
): NetworkParams {
  return Object.freeze({
    ...p,
    powLimitBits: encodeCompact(p.powLimit),
    powTargetSpacing: SPACING,
    powTargetTimespan: TIMESPAN,
    difficultyAdjustmentInterval: TIMESPAN / SPACING,
  });
}

export const MAINNET: NetworkParams = params({
  name: 'mainnet',
  genesisHeader:
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a29ab5f49ffff001d1dac2b7c',
  genesisHash: '000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f',
  powLimit: DIFF1_LIMIT,
  allowMinDifficultyBlocks: false,
  noRetargeting: false,
  enforceBIP94: false,
  bip34Height: 227931,
  bip65Height: 388381,
  bip66Height: 363725,
});

export const TESTNET3: NetworkParams = params({
  name: 'testnet3',
  genesisHeader:
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff001d1aa4ae18',
  genesisHash: '000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943',
  powLimit: DIFF1_LIMIT,
  allowMinDifficultyBlocks: true,
  noRetargeting: false,
  enforceBIP94: false,
  bip34Height: 21111,
  bip65Height: 581885,
  bip66Height: 330776,
});

export const TESTNET4: NetworkParams = params({
  name: 'testnet4',
  genesisHeader:
    '0100000000000000000000000000000000000000000000000000000000000000000000004e7b2b9128fe0291db0693af2ae418b767e657cd407e80cb1434221eaea7a07a046f3566ffff001dbb0c7817',
  genesisHash: '00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043',
  powLimit: DIFF1_LIMIT,
  allowMinDifficultyBlocks: true,
  noRetargeting: false,
  enforceBIP94: true,
  bip34Height: 1,
  bip65Height: 1,
  bip66Height: 1,
});

/**
 * Default signet. Its blocks also carry a signature over the block (BIP325) that this headers-only client
 * does NOT check: the solution sits in the coinbase, which a header does not contain. Signet proof of work is
 * weak (powLimit 1e0377ae), so a signet header chain here is only as trustworthy as its source.
 */
export const SIGNET: NetworkParams = params({
  name: 'signet',
  genesisHeader:
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a008f4d5fae77031e8ad22203',
  genesisHash: '00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6',
  powLimit: 0x0377aen << 216n,
  allowMinDifficultyBlocks: false,
  noRetargeting: false,
  enforceBIP94: false,
  bip34Height: 1,
  bip65Height: 1,
  bip66Height: 1,
});

/** regtest; `{ ...REGTEST, enforceBIP94: true }` gives Core's `-test=bip94`. */
export const REGTEST: NetworkParams = params({
  name: 'regtest',
  genesisHeader:
    '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000',
  genesisHash: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
  powLimit: (1n << 255n) - 1n,
  allowMinDifficultyBlocks: true,
  noRetargeting: true,
  enforceBIP94: false,
  bip34Height: 1,
  bip65Height: 1,
  bip66Height: 1,
});

export const NETWORKS: Readonly<Record<NetworkName, NetworkParams>> = Object.freeze({
  mainnet: MAINNET,
  testnet3: TESTNET3,
  testnet4: TESTNET4,
  signet: SIGNET,
  regtest: REGTEST,
});

/** Named separately from the address module's UnknownNetworkError: this one is about consensus parameters. */
export class UnknownConsensusNetworkError extends Error {
  override readonly name = 'UnknownConsensusNetworkError';
}

/** Look a network up by name; also accepts Core's getblockchaininfo names ("main", "test"). */
export function networkParams(name: string): NetworkParams {
  const aliases: Record<string, NetworkName> = {
    main: 'mainnet',
    bitcoin: 'mainnet',
    test: 'testnet3',
    testnet: 'testnet3',
  };
  const key = aliases[name] ?? name;
  if (!Object.hasOwn(NETWORKS, key))
    throw new UnknownConsensusNetworkError(
      `unknown network "${name}"; expected one of ${Object.keys(NETWORKS).join(', ')}`,
    );
  return NETWORKS[key as NetworkName];
}
