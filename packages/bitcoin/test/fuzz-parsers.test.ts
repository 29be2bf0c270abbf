// Fuzz tests: every parser here that takes outside bytes (headers, blocks, transactions, scripts, addresses,
// control blocks, merkle proofs) answers random and mutated input with its own error type, never with a crash
// (TypeError, RangeError, stack overflow), a hang or an unbounded allocation. Mutations start from real mainnet
// data when /work/shared is there. FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { FUZZ_TIMEOUT_MS, fuzzParams, mutatedBytes, mutatedJson, onlyErrors, randomBytesLike } from '../../testing/src/fuzz.js';
import {
  AddressError,
  BlockValidationError,
  ByteReader,
  ByteWriter,
  CheckpointError,
  EncodingError,
  HEADER_SIZE,
  HeaderChain,
  HeaderRuleError,
  MerkleError,
  ScriptTemplateError,
  SweepError,
  TaprootError,
  TransactionError,
  addressToOutputScript,
  buildCustodyRecoveryScript,
  buildDepositScript,
  buildOpReturnDepositScript,
  buildReclaimScript,
  checkBlockCommitments,
  classifyOutputScript,
  coinbaseHeight,
  decodeHeader,
  decodeHeaderHex,
  decodeSegwitAddress,
  decodeTransaction,
  decompileScript,
  encodeControlBlock,
  encodeTransaction,
  headerHash,
  hexToBytes,
  identifyLeafScript,
  networkParams,
  parseBlock,
  parseCheckpoint,
  parseControlBlock,
  parseCustodyRecoveryScript,
  parseDepositScript,
  parseOpReturnDepositScript,
  parseReclaimScript,
  parseSweepCommitment,
  readTransaction,
  scanBlock,
  scanBlockSpends,
  sweepCommitmentScript,
  taprootSighash,
  verifyEsploraMerkleProof,
  verifyMerkleBlockProof,
  verifyTaprootCommitment,
  witnessProgram,
  type Block,
  type EsploraMerkleProof,
} from '../src/index.js';
import { bitcoinData, hasBitcoinData, mine, skipMessage } from './header/fixtures.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

// ------------------------------------------------------------------ corpus (real data when available)

const blocksDir = path.join(bitcoinData, 'mainnet/blocks');
const realBlock = hasBitcoinData ? new Uint8Array(fs.readFileSync(path.join(blocksDir, '831332.raw'))) : undefined;
if (!hasBitcoinData) console.warn(`fuzz-parsers: ${skipMessage}; mutating synthetic inputs only`);

/** Byte ranges of the transactions in a raw block, found by walking it. */
function txRanges(raw: Uint8Array): Array<[number, number]> {
  const r = new ByteReader(raw);
  r.offset = HEADER_SIZE;
  const n = r.varint();
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i++) {
    const start = r.offset;
    readTransaction(r);
    out.push([start, r.offset]);
  }
  return out;
}

const KEY = hexToBytes('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
const KEY2 = hexToBytes('c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5');
const RECIPIENT = '0x' + '11'.repeat(20);

/** A small synthetic witness transaction, so the corpus is never empty. */
const syntheticTx = encodeTransaction({
  version: 2,
  inputs: [{ prevout: { txid: new Uint8Array(32).fill(7), vout: 1 }, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [new Uint8Array(64).fill(1)] }],
  outputs: [{ value: 50_000n, scriptPubKey: Uint8Array.of(0x51, 0x20, ...KEY) }],
  locktime: 0,
});

const ranges = realBlock ? txRanges(realBlock) : [];
// A spread of real transactions: the coinbase, then every 40th (segwit, legacy and taproot spends alike).
const realTxs = ranges.filter((_, i) => i % 40 === 0).map(([s, e]) => realBlock!.slice(s, e));
const txCorpus = [syntheticTx, ...realTxs];

/** Small blocks: the real header with the first k real transactions (or the synthetic one). */
function smallBlock(k: number): Uint8Array {
  const header = realBlock ? realBlock.subarray(0, HEADER_SIZE) : new Uint8Array(HEADER_SIZE);
  const txs = realBlock ? ranges.slice(0, k).map(([s, e]) => realBlock.subarray(s, e)) : Array.from({ length: k }, () => syntheticTx);
  const w = new ByteWriter().bytes(header).varint(txs.length);
  for (const tx of txs) w.bytes(tx);
  return w.finish();
}
const blockCorpus = [smallBlock(1), smallBlock(2), smallBlock(5), smallBlock(12)];

const headerCorpus = hasBitcoinData
  ? fs.readFileSync(path.join(bitcoinData, 'mainnet/headers-822528-830592.hex'), 'utf8').trim().split('\n').slice(0, 64).map((l) => hexToBytes(l.trim()))
  : [new Uint8Array(HEADER_SIZE)];

interface MerkleProofFile {
  merkleblock: { proofs: Array<{ hex: string }> };
  esploraMerkleProof: { proofs: Array<{ txid: string; merkleRoot: string; nTx?: number | string; esplora: EsploraMerkleProof }> };
}
const proofs: MerkleProofFile | undefined = hasBitcoinData ? (JSON.parse(fs.readFileSync(path.join(bitcoinData, 'mainnet/merkle-proofs.json'), 'utf8')) as MerkleProofFile) : undefined;
const merkleBlockCorpus = proofs ? proofs.merkleblock.proofs.map((p) => hexToBytes(p.hex)) : [new Uint8Array(HEADER_SIZE + 4 + 1 + 32 + 2)];

const scriptCorpus: Uint8Array[] = [
  buildDepositScript({ maxFee: 10_000n, recipient: RECIPIENT, groupKey: KEY }),
  buildReclaimScript({ lockBlocks: 144, depositorKey: KEY2 }),
  buildReclaimScript({ lockBlocks: 65_535, depositorKey: KEY }),
  buildCustodyRecoveryScript({ recoveryLock: 4_320, keys: [KEY, KEY2], threshold: 2 }),
  buildOpReturnDepositScript({ recipient: RECIPIENT }),
  Uint8Array.of(0x51, 0x20, ...KEY),
  Uint8Array.of(0x00, 0x14, ...KEY.subarray(0, 20)),
  Uint8Array.of(0x76, 0xa9, 0x14, ...KEY.subarray(0, 20), 0x88, 0xac),
  Uint8Array.of(0x4e, 0xff, 0xff, 0xff, 0xff), // PUSHDATA4 claiming 4 GiB
];

const addressCorpus: string[] = [
  'bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr',
  'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
  '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
  '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
  'bcrt1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqsx3q3l',
];
if (hasBitcoinData) {
  const vectors = JSON.parse(fs.readFileSync(path.join(bitcoinData, 'vectors/bip350-address-vectors.json'), 'utf8')) as { validSegwitAddresses: Array<{ address: string }> };
  addressCorpus.push(...vectors.validSegwitAddresses.map((v) => v.address));
}

/** Mutates a string by replacing, inserting or deleting characters (bech32 and base58 alphabets and beyond). */
const mutatedString = (valid: readonly string[]): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...valid), fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete', 'case'), fc.string({ minLength: 1, maxLength: 3 })), { minLength: 1, maxLength: 4 }))
    .map(([s, edits]) =>
      edits.reduce((acc, [at, kind, text]) => {
        const i = acc.length === 0 ? 0 : at % acc.length;
        if (kind === 'replace') return acc.slice(0, i) + text + acc.slice(i + text.length);
        if (kind === 'insert') return acc.slice(0, i) + text + acc.slice(i);
        if (kind === 'delete') return acc.slice(0, i) + acc.slice(i + text.length);
        return acc.slice(0, i) + acc.charAt(i).toUpperCase() + acc.slice(i + 1);
      }, s),
    );

// ------------------------------------------------------------------ properties

describe('fuzz: headers', () => {
  it('decodeHeader takes exactly 80 bytes and names any other length', () => {
    fc.assert(
      fc.property(randomBytesLike(headerCorpus, 200), (bytes) => {
        const r = onlyErrors(() => decodeHeader(bytes), [EncodingError]);
        expect(r instanceof Error).toBe(bytes.length !== HEADER_SIZE);
      }),
      fuzzParams(3_000),
    );
  });

  it('decodeHeaderHex refuses anything that is not 160 hex characters', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^[0-9a-fA-F]{150,170}$/)), (s) => void onlyErrors(() => decodeHeaderHex(s), [EncodingError])), fuzzParams(3_000));
  });

  it('HeaderChain.add answers mutated real headers with HeaderRuleError (or accepts a duplicate)', () => {
    fc.assert(
      fc.property(mutatedBytes(headerCorpus, 3, 200), (bytes) => {
        const chain = new HeaderChain('mainnet', { now: () => 1_800_000_000 });
        onlyErrors(() => chain.add(bytes), [HeaderRuleError, EncodingError]);
        expect(chain.height).toBe(0);
      }),
      fuzzParams(2_000),
    );
  });

  it('HeaderChain.add on regtest: random mined headers break a named rule or connect', () => {
    const params = networkParams('regtest');
    const chain = new HeaderChain(params, { now: () => 1_800_000_000 });
    const genesis = decodeHeader(hexToBytes(params.genesisHeader));
    const genesisHash = headerHash(hexToBytes(params.genesisHeader));
    fc.assert(
      fc.property(
        fc.record({
          version: fc.oneof(fc.constant(0x20000000), fc.integer({ min: -0x80000000, max: 0x7fffffff })),
          time: fc.oneof(fc.integer({ min: genesis.time - 10_000, max: 1_800_010_000 }), fc.nat({ max: 0xffffffff })),
          bits: fc.oneof(fc.constant(params.powLimitBits), fc.nat({ max: 0xffffffff })),
          onTip: fc.boolean(),
        }),
        ({ version, time, bits, onTip }) => {
          const prevHash = onTip ? headerHash(chain.tip.raw) : genesisHash;
          // Only the regtest limit can be mined instantly; other bits get nonce 0 (and fail on work or target).
          const raw =
            bits === params.powLimitBits
              ? mine(params, { version, prevHash, merkleRoot: new Uint8Array(32), time: time >>> 0, bits })
              : new ByteWriter().i32le(version).bytes(prevHash).bytes(new Uint8Array(32)).u32le(time >>> 0).u32le(bits).u32le(0).finish();
          onlyErrors(() => chain.add(raw), [HeaderRuleError]);
        },
      ),
      fuzzParams(1_500),
    );
  });

  it('parseCheckpoint refuses mutated checkpoint JSON with CheckpointError', () => {
    const valid = {
      height: 822528,
      hash: '000000000000000000001daacd23f9cb40c69ba923085618a5f9dbdd4d97e93a',
      header: 'a'.repeat(160),
      chainwork: '0x10000',
      prevTimestamps: [1, 2, 3],
      bits: '1703e8b3',
      time: 1700000000,
      epochStart: { time: 1699000000, bits: '1703e8b3' },
    };
    fc.assert(fc.property(mutatedJson([valid]), (json) => void onlyErrors(() => parseCheckpoint(json), [CheckpointError])), fuzzParams(3_000));
  });
});

describe('fuzz: transactions', () => {
  const check = (bytes: Uint8Array) => {
    const r = onlyErrors(() => decodeTransaction(bytes), [EncodingError]);
    if (!(r instanceof Error)) {
      // Whatever decodes re-encodes to the same bytes (no silently dropped or invented fields).
      expect(Buffer.from(encodeTransaction(r, { witness: true })).equals(Buffer.from(bytes))).toBe(true);
    }
  };

  it('decodeTransaction: random bytes', () => {
    fc.assert(fc.property(randomBytesLike([Uint8Array.of(2, 0, 0, 0), Uint8Array.of(2, 0, 0, 0, 0, 1), Uint8Array.of(1, 0, 0, 0, 1)], 300), check), fuzzParams(5_000));
  });

  it('decodeTransaction: mutated real transactions', () => {
    fc.assert(fc.property(mutatedBytes(txCorpus, 4, 200_000), check), fuzzParams(5_000));
  });

  it('taprootSighash over decoded mutations refuses with TransactionError, never a crash', () => {
    fc.assert(
      fc.property(mutatedBytes(txCorpus, 2, 200_000), fc.nat({ max: 300 }), fc.nat({ max: 0x83 }), (bytes, inputIndex, hashType) => {
        const tx = onlyErrors(() => decodeTransaction(bytes), [EncodingError]);
        if (tx instanceof Error) return;
        const prevouts = tx.inputs.map(() => ({ value: 1_000n, scriptPubKey: Uint8Array.of(0x51, 0x20, ...KEY) }));
        onlyErrors(() => taprootSighash({ tx, inputIndex, prevouts, hashType }), [TransactionError]);
      }),
      fuzzParams(1_500),
    );
  });

  it('a count claiming 2^32 or 2^53 items is refused before anything is allocated', () => {
    // Regression: readTransaction allocated new Array(count) before reading, so a 0xff varint above 2^32 threw a
    // RangeError ("Invalid array length") instead of an EncodingError. Found by "mutated real transactions"
    // (FUZZ_SEED=1264644371 FUZZ_PATH=80:5:2:2:3:0:2:2) and "mutated small real blocks" (FUZZ_SEED=-1418684955
    // FUZZ_PATH=248:0:1:0:3:19:6:1:3:3:3) with the corpus of that day; these inputs are the minimal forms.
    const claims = ['fe ffffffff', 'ff 0000000001000000', 'ff ffffffffffff1f00'];
    for (const claim of claims) {
      const count = hexToBytes(claim.replace(' ', ''));
      const inputs = Uint8Array.of(2, 0, 0, 0, ...count);
      const outputs = Uint8Array.of(2, 0, 0, 0, 0, ...count);
      const witness = Uint8Array.of(2, 0, 0, 0, 0, 1, 1, ...new Uint8Array(36), 0, 0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, ...count);
      for (const bytes of [inputs, outputs, witness]) expect(() => decodeTransaction(bytes)).toThrow(EncodingError);
    }
  });
});

describe('fuzz: blocks', () => {
  const allowed = [EncodingError];
  const afterParse = (block: Block) => {
    onlyErrors(() => checkBlockCommitments(block), [BlockValidationError, MerkleError]);
    coinbaseHeight(block);
    scanBlock(block, new Set(['5120' + '00'.repeat(32)]));
    scanBlockSpends(block, new Set(['00'.repeat(32) + ':0']));
  };

  it('parseBlock: random bytes after a real header', () => {
    fc.assert(
      fc.property(randomBytesLike([blockCorpus[0]!.subarray(0, HEADER_SIZE)], 400), (bytes) => {
        const b = onlyErrors(() => parseBlock(bytes), allowed);
        if (!(b instanceof Error)) afterParse(b);
      }),
      fuzzParams(3_000),
    );
  });

  it('parseBlock + commitment checks: mutated small real blocks', () => {
    fc.assert(
      fc.property(mutatedBytes(blockCorpus, 4), (bytes) => {
        const b = onlyErrors(() => parseBlock(bytes), allowed);
        if (!(b instanceof Error)) afterParse(b);
      }),
      fuzzParams(3_000),
    );
  });

  it.skipIf(!realBlock)('parseBlock: mutated full mainnet block (1.9 MB)', () => {
    fc.assert(
      fc.property(mutatedBytes([realBlock!], 3), (bytes) => {
        const b = onlyErrors(() => parseBlock(bytes), allowed);
        if (!(b instanceof Error)) onlyErrors(() => checkBlockCommitments(b), [BlockValidationError, MerkleError]);
      }),
      fuzzParams(40),
    );
  });
});

describe('fuzz: scripts', () => {
  const parsers: Array<[string, (s: Uint8Array) => unknown]> = [
    ['decompileScript', (s) => decompileScript(s, 'fuzz')],
    ['decompileScript (non-minimal allowed)', (s) => decompileScript(s, 'fuzz', false)],
    ['parseDepositScript', parseDepositScript],
    ['parseReclaimScript', parseReclaimScript],
    ['parseCustodyRecoveryScript', parseCustodyRecoveryScript],
    ['parseOpReturnDepositScript', parseOpReturnDepositScript],
    ['identifyLeafScript', identifyLeafScript],
    ['classifyOutputScript', classifyOutputScript],
    ['witnessProgram', witnessProgram],
  ];
  for (const [name, parse] of parsers) {
    it(`${name}: random and mutated scripts give ScriptTemplateError or a result`, () => {
      fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 120 }), mutatedBytes(scriptCorpus, 4, 10_000)), (s) => void onlyErrors(() => parse(s), [ScriptTemplateError])), fuzzParams(3_000));
    });
  }

  it('parsed templates round-trip: whatever parses builds back to the same bytes', () => {
    const pairs: Array<[(s: Uint8Array) => unknown, (p: never) => Uint8Array]> = [
      [parseDepositScript, buildDepositScript as (p: never) => Uint8Array],
      [parseReclaimScript, buildReclaimScript as (p: never) => Uint8Array],
      [parseCustodyRecoveryScript, buildCustodyRecoveryScript as (p: never) => Uint8Array],
    ];
    fc.assert(
      fc.property(mutatedBytes(scriptCorpus, 2, 10_000), (s) => {
        for (const [parse, build] of pairs) {
          const p = onlyErrors(() => parse(s), [ScriptTemplateError]);
          if (!(p instanceof Error)) expect(Buffer.from(build(p as never)).equals(Buffer.from(s))).toBe(true);
        }
      }),
      fuzzParams(3_000),
    );
  });
});

describe('fuzz: sweep commitments (the OP_RETURN a sweep carries on chain)', () => {
  it('parseSweepCommitment: random and mutated scripts give SweepError or a commitment', () => {
    const valid = [sweepCommitmentScript([1n, 2n, 3n]), sweepCommitmentScript([])];
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), mutatedBytes(valid, 3, 1_000)), (s) => void onlyErrors(() => parseSweepCommitment(s), [SweepError])), fuzzParams(3_000));
  });
});

describe('fuzz: addresses', () => {
  const networks = ['mainnet', 'testnet', 'regtest'] as const;
  it('decodeSegwitAddress and addressToOutputScript: mutated real addresses', () => {
    fc.assert(
      fc.property(mutatedString(addressCorpus), fc.constantFrom(...networks), (a, network) => {
        onlyErrors(() => decodeSegwitAddress(a), [AddressError]);
        onlyErrors(() => addressToOutputScript(a, network), [AddressError]);
      }),
      fuzzParams(4_000),
    );
  });

  it('random strings (any unicode, long ones too)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ minLength: 90, maxLength: 2_000 })), fc.constantFrom(...networks), (a, network) => {
        onlyErrors(() => decodeSegwitAddress(a), [AddressError]);
        onlyErrors(() => addressToOutputScript(a, network), [AddressError]);
      }),
      fuzzParams(3_000),
    );
  });
});

describe('fuzz: taproot control blocks', () => {
  const leaf = scriptCorpus[0]!;
  const cbCorpus = [encodeControlBlock({ leafVersion: 0xc0, parity: 0, internalKey: KEY, path: [new Uint8Array(32).fill(3)] }), encodeControlBlock({ leafVersion: 0xc0, parity: 1, internalKey: KEY2, path: [] })];
  it('parseControlBlock and verifyTaprootCommitment give TaprootError or a boolean', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), mutatedBytes(cbCorpus, 3, 5_000)), (cb) => {
        onlyErrors(() => parseControlBlock(cb), [TaprootError]);
        const v = onlyErrors(() => verifyTaprootCommitment(KEY, leaf, cb), [TaprootError]);
        if (!(v instanceof Error)) expect(typeof v).toBe('boolean');
      }),
      fuzzParams(2_000),
    );
  });
});

describe('fuzz: merkle proofs', () => {
  it('verifyMerkleBlockProof: mutated real merkle blocks (gettxoutproof format)', () => {
    fc.assert(fc.property(mutatedBytes(merkleBlockCorpus, 4, 100_000), (bytes) => void onlyErrors(() => verifyMerkleBlockProof(bytes), [EncodingError, MerkleError])), fuzzParams(5_000));
  });

  it('verifyMerkleBlockProof: random bytes after a real header, and random hex strings', () => {
    fc.assert(
      fc.property(fc.oneof(randomBytesLike([merkleBlockCorpus[0]!.subarray(0, HEADER_SIZE + 4)], 600), fc.string({ maxLength: 400 })), (p) => void onlyErrors(() => verifyMerkleBlockProof(p), [EncodingError, MerkleError])),
      fuzzParams(3_000),
    );
  });

  it.skipIf(!proofs)('verifyEsploraMerkleProof: mutated real Esplora proofs (JSON)', () => {
    const cases = proofs!.esploraMerkleProof.proofs;
    fc.assert(
      fc.property(fc.constantFrom(...cases), mutatedJson(cases.map((c) => c.esplora)), fc.option(fc.oneof(fc.integer(), fc.double()), { nil: undefined }), (c, proof, txCount) => {
        onlyErrors(() => verifyEsploraMerkleProof(proof as EsploraMerkleProof, c.txid, hexToBytes(c.merkleRoot).reverse(), txCount), [EncodingError, MerkleError]);
      }),
      fuzzParams(4_000),
    );
  });
});
