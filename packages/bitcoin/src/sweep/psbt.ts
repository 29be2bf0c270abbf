import { Psbt } from 'bitcoinjs-lib';
import { bytesToHex, equalBytes, hexToBytes } from '../bytes.js';
import { parseControlBlock } from '../taproot/control-block.js';
import { foldMerklePath, tapLeafHash } from '../taproot/leaf.js';
import { taprootTweak } from '../taproot/tweak.js';
import { decodeTransaction } from '../tx/codec.js';
import type { SweepBuild, SweepInputSpend } from './build.js';
import { SweepError } from './errors.js';
import type { SweepInputKind } from './weights.js';

/** Bytes, or the same as hex (stored records keep hex). */
export type BytesLike = Uint8Array | string;

export interface TaprootKeyInfo {
  /** x-only internal key (the FROST group key for custody). */
  internalKey: BytesLike;
  /** Script tree root (custody's recovery leaf); omit for a key-path-only output. */
  merkleRoot?: BytesLike;
}

export interface SweepPsbtOptions {
  /** The custody output's internal key (the group key) and merkle root: for every key-path input paying the custody script. */
  custodyInternalKey: BytesLike;
  custodyMerkleRoot?: BytesLike;
  /** Input 0's keys when it spends an earlier custody output with other keys (a key migration). */
  previousCustody?: TaprootKeyInfo;
}

/** A sweep as persisted: the unsigned hex and, per input, what it spends and how (hex or bytes). */
export interface StoredSweep {
  unsignedHex: string;
  inputs: readonly { value: bigint; scriptPubKey: BytesLike; kind: SweepInputKind; leafScript?: BytesLike; controlBlock?: BytesLike }[];
}

const bytes = (b: BytesLike, what: string): Uint8Array => {
  if (b instanceof Uint8Array) return b;
  try {
    return hexToBytes(b);
  } catch {
    throw new SweepError('psbt', `${what} is neither bytes nor hex`);
  }
};

/** A SweepBuild's signing view from either a build or its stored form. */
function sweepSource(source: Pick<SweepBuild, 'tx' | 'prevouts' | 'inputSpends'> | StoredSweep): Pick<SweepBuild, 'tx' | 'prevouts' | 'inputSpends'> {
  if ('tx' in source) return source;
  let tx;
  try {
    tx = decodeTransaction(source.unsignedHex);
  } catch (e) {
    throw new SweepError('psbt', `unsignedHex: ${(e as Error).message}`);
  }
  if (source.inputs.length !== tx.inputs.length) throw new SweepError('psbt', `${source.inputs.length} input records for ${tx.inputs.length} inputs`);
  const prevouts = source.inputs.map((i, k) => ({ value: i.value, scriptPubKey: bytes(i.scriptPubKey, `input ${k} scriptPubKey`) }));
  const inputSpends: SweepInputSpend[] = source.inputs.map((i, k) => {
    if (i.kind === 'custody-key-path') return { kind: i.kind };
    if (i.leafScript === undefined || i.controlBlock === undefined) throw new SweepError('psbt', `input ${k}: a deposit-leaf input needs leafScript and controlBlock`);
    const leafScript = bytes(i.leafScript, `input ${k} leafScript`);
    const controlBlock = bytes(i.controlBlock, `input ${k} controlBlock`);
    return { kind: i.kind, leafScript, controlBlock, leafHash: tapLeafHash(leafScript, parseControlBlock(controlBlock).leafVersion) };
  });
  return { tx, prevouts, inputSpends };
}

function keyPathFields(info: TaprootKeyInfo, outputKey: Uint8Array, inputIndex: number) {
  const internalKey = bytes(info.internalKey, 'internal key');
  const merkleRoot = info.merkleRoot === undefined ? undefined : bytes(info.merkleRoot, 'merkle root');
  let tweaked;
  try {
    tweaked = taprootTweak(internalKey, merkleRoot);
  } catch (e) {
    throw new SweepError('psbt-key', `input ${inputIndex}: ${(e as Error).message}`);
  }
  if (!equalBytes(tweaked.outputKey, outputKey))
    throw new SweepError('psbt-key', `input ${inputIndex}: internal key ${bytesToHex(internalKey)} with that merkle root does not give the output key it spends`);
  return { tapInternalKey: internalKey, ...(merkleRoot ? { tapMerkleRoot: merkleRoot } : {}) };
}

/**
 * The unsigned sweep as a BIP174 PSBT (base64) with BIP371 taproot fields, for operators to inspect in any
 * wallet tool: every input has witnessUtxo; key-path inputs tapInternalKey and tapMerkleRoot; deposit-leaf
 * inputs tapLeafScript (leaf, control block) plus the deposit tree's internal key and root. Takes a
 * SweepBuild or its stored form (unsigned hex + per-input records).
 */
export function sweepPsbt(source: Pick<SweepBuild, 'tx' | 'prevouts' | 'inputSpends'> | StoredSweep, options: SweepPsbtOptions): string {
  const build = sweepSource(source);
  const custody: TaprootKeyInfo = { internalKey: options.custodyInternalKey, ...(options.custodyMerkleRoot === undefined ? {} : { merkleRoot: options.custodyMerkleRoot }) };
  // The same custody key usually signs several inputs: tweak (an EC multiplication) once per key.
  const fieldsByKey = new Map<TaprootKeyInfo, { outputKey: Uint8Array; fields: ReturnType<typeof keyPathFields> }>();
  const psbt = new Psbt();
  psbt.setVersion(build.tx.version);
  psbt.setLocktime(build.tx.locktime);
  build.tx.inputs.forEach((input, i) => {
    const prevout = build.prevouts[i]!;
    const spend = build.inputSpends[i]!;
    const outputKey = prevout.scriptPubKey.subarray(2);
    let taproot;
    if (spend.kind === 'custody-key-path') {
      const info = i === 0 && options.previousCustody ? options.previousCustody : custody;
      const cached = fieldsByKey.get(info);
      if (cached && equalBytes(cached.outputKey, outputKey)) taproot = cached.fields;
      else {
        taproot = keyPathFields(info, outputKey, i);
        fieldsByKey.set(info, { outputKey, fields: taproot });
      }
    } else {
      const cb = parseControlBlock(spend.controlBlock!);
      taproot = {
        tapInternalKey: cb.internalKey,
        tapMerkleRoot: foldMerklePath(spend.leafHash!, cb.path),
        tapLeafScript: [{ leafVersion: cb.leafVersion, script: spend.leafScript!, controlBlock: spend.controlBlock! }],
      };
    }
    psbt.addInput({
      hash: input.prevout.txid,
      index: input.prevout.vout,
      sequence: input.sequence,
      witnessUtxo: { script: prevout.scriptPubKey, value: prevout.value },
      ...taproot,
    });
  });
  for (const out of build.tx.outputs) psbt.addOutput({ script: out.scriptPubKey, value: out.value });
  return psbt.toBase64();
}
