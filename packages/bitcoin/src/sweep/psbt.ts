import { Psbt } from 'bitcoinjs-lib';
import { bytesToHex, equalBytes } from '../bytes.js';
import { parseControlBlock } from '../taproot/control-block.js';
import { foldMerklePath } from '../taproot/leaf.js';
import { taprootTweak } from '../taproot/tweak.js';
import type { SweepBuild } from './build.js';
import { SweepError } from './errors.js';

export interface TaprootKeyInfo {
  /** x-only internal key (the FROST group key for custody). */
  internalKey: Uint8Array;
  /** Script tree root (custody's recovery leaf); omit for a key-path-only output. */
  merkleRoot?: Uint8Array;
}

export interface SweepPsbtOptions {
  /** The custody output's internal key and merkle root: for every key-path input paying the custody script. */
  custody: TaprootKeyInfo;
  /** Input 0's keys when it spends an earlier custody output with other keys (a key migration). */
  previousCustody?: TaprootKeyInfo;
}

function keyPathFields(info: TaprootKeyInfo, outputKey: Uint8Array, inputIndex: number) {
  let tweaked;
  try {
    tweaked = taprootTweak(info.internalKey, info.merkleRoot);
  } catch (e) {
    throw new SweepError('psbt-key', `input ${inputIndex}: ${(e as Error).message}`);
  }
  if (!equalBytes(tweaked.outputKey, outputKey))
    throw new SweepError('psbt-key', `input ${inputIndex}: internal key ${bytesToHex(info.internalKey)} with that merkle root does not give the output key it spends`);
  return { tapInternalKey: info.internalKey, ...(info.merkleRoot ? { tapMerkleRoot: info.merkleRoot } : {}) };
}

/**
 * The unsigned sweep as a BIP174 PSBT (base64) with BIP371 taproot fields, for operators to inspect in any
 * wallet tool: every input has witnessUtxo; key-path inputs tapInternalKey and tapMerkleRoot; deposit-leaf
 * inputs tapLeafScript (leaf, control block) plus the deposit tree's internal key and root.
 */
export function sweepPsbt(build: Pick<SweepBuild, 'tx' | 'prevouts' | 'inputSpends'>, options: SweepPsbtOptions): string {
  const psbt = new Psbt();
  psbt.setVersion(build.tx.version);
  psbt.setLocktime(build.tx.locktime);
  build.tx.inputs.forEach((input, i) => {
    const prevout = build.prevouts[i]!;
    const spend = build.inputSpends[i]!;
    const outputKey = prevout.scriptPubKey.subarray(2);
    let taproot;
    if (spend.kind === 'custody-key-path') {
      const info = i === 0 && options.previousCustody ? options.previousCustody : options.custody;
      taproot = keyPathFields(info, outputKey, i);
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
