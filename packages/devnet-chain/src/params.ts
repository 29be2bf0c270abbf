import { hexToBytes } from '@tapbridge/bitcoin';

/**
 * Bitcoin Core's regtest consensus parameters (src/kernel/chainparams.cpp, CRegTestParams): every rule
 * here is one tapbridge depends on when it talks to a regtest node.
 */
export const REGTEST_PARAMS = Object.freeze({
  chainName: 'regtest',
  addressNetwork: 'regtest',
  bech32Hrp: 'bcrt',
  genesisHash: '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206',
  /** powLimit 7fff…ff: bits never change (fPowNoRetargeting). */
  powLimitBits: 0x207fffff,
  subsidyHalvingInterval: 150,
  coinbaseMaturity: 100,
  /** Version Core's miner uses: versionbits top bits, no deployment signalled. */
  blockVersion: 0x20000000,
  maxBlockWeight: 4_000_000,
  /** Core leaves room for the coinbase when assembling a template. */
  blockReservedWeight: 8_000,
  maxMoney: 21_000_000n * 100_000_000n,
  initialSubsidy: 50n * 100_000_000n,
  /** Median of the last 11 timestamps (BIP113). */
  medianTimeSpan: 11,
  maxFutureBlockTime: 2 * 60 * 60,
});

/** Mempool policy, as Bitcoin Core's defaults (src/policy/policy.h); relay fees as before v30 (1 sat/vB). */
export const POLICY = Object.freeze({
  minRelayFeeSatPerKvB: 1_000n,
  incrementalRelayFeeSatPerKvB: 1_000n,
  dustRelayFeeSatPerKvB: 3_000n,
  maxStandardTxWeight: 400_000,
  minStandardTxNonWitnessSize: 65,
  /** Core v30's -datacarriersize default: total OP_RETURN script bytes per transaction, any number of outputs. */
  maxDatacarrierBytes: 100_000,
  maxReplacementEvictions: 100,
  /** sendrawtransaction's default maxfeerate: 0.10 BTC/kvB. */
  defaultMaxFeeRateSatPerKvB: 10_000_000n,
  maxStandardTxVersion: 3,
});

/** Core's GetBlockSubsidy: 50 BTC halved every 150 blocks on regtest, zero after 64 halvings. */
export function blockSubsidy(height: number): bigint {
  if (!Number.isInteger(height) || height < 0) throw new RangeError(`height must be a non-negative integer, got ${height}`);
  const halvings = Math.floor(height / REGTEST_PARAMS.subsidyHalvingInterval);
  if (halvings >= 64) return 0n;
  return REGTEST_PARAMS.initialSubsidy >> BigInt(halvings);
}

/** The genesis block is fixed by consensus: the same coinbase as mainnet, regtest's time, bits and nonce. */
export const REGTEST_GENESIS_BLOCK: Uint8Array = hexToBytes(
  '0100000000000000000000000000000000000000000000000000000000000000000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4adae5494dffff7f2002000000' +
    '01' +
    '01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000',
);
