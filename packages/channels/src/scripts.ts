// The channel's leaf scripts, in packages/bitcoin's template style (build/parse that round-trip).
import {
  OP,
  ScriptTemplateError,
  buildReclaimScript,
  checkXOnly,
  concatBytes,
  decompileScript,
  encodePush,
  expectOpcode,
  expectPush,
  parseReclaimScript,
  type ScriptTemplate,
} from '@tapbridge/bitcoin';

const COOPERATIVE_TEMPLATE = 'channel cooperative leaf';

export interface CooperativeLeafParams {
  /** The user's x-only funding key. */
  userKey: Uint8Array;
  /** The custody's FROST group key (x-only, untweaked: the signers sign a tapscript sighash for it as is). */
  groupKey: Uint8Array;
}

/** `<user> OP_CHECKSIGVERIFY <group> OP_CHECKSIG`: both must sign; witness `<group sig> <user sig>`. */
export function buildCooperativeLeaf(params: CooperativeLeafParams): Uint8Array {
  checkXOnly(params.userKey, 'user key', COOPERATIVE_TEMPLATE);
  checkXOnly(params.groupKey, 'group key', COOPERATIVE_TEMPLATE);
  return concatBytes(encodePush(params.userKey), Uint8Array.of(OP.OP_CHECKSIGVERIFY), encodePush(params.groupKey), Uint8Array.of(OP.OP_CHECKSIG));
}

export function parseCooperativeLeaf(script: Uint8Array): CooperativeLeafParams {
  const chunks = decompileScript(script, COOPERATIVE_TEMPLATE);
  if (chunks.length !== 4) throw new ScriptTemplateError(COOPERATIVE_TEMPLATE, `expected 4 script elements, got ${chunks.length}`);
  const userKey = expectPush(chunks[0], 32, 'user key', COOPERATIVE_TEMPLATE);
  expectOpcode(chunks[1], OP.OP_CHECKSIGVERIFY, 'OP_CHECKSIGVERIFY', COOPERATIVE_TEMPLATE, 1);
  const groupKey = expectPush(chunks[2], 32, 'group key', COOPERATIVE_TEMPLATE);
  expectOpcode(chunks[3], OP.OP_CHECKSIG, 'OP_CHECKSIG', COOPERATIVE_TEMPLATE, 3);
  checkXOnly(userKey, 'user key', COOPERATIVE_TEMPLATE);
  checkXOnly(groupKey, 'group key', COOPERATIVE_TEMPLATE);
  return { userKey, groupKey };
}

export const cooperativeLeaf: ScriptTemplate<CooperativeLeafParams> = { name: COOPERATIVE_TEMPLATE, build: buildCooperativeLeaf, parse: parseCooperativeLeaf };

export interface DelayedLeafParams {
  /** The challenge period in blocks (BIP68 block-based relative lock). */
  delayBlocks: number;
  /** The commitment holder's x-only key. */
  holderKey: Uint8Array;
}

/**
 * `<delay> OP_CHECKSEQUENCEVERIFY OP_DROP <holder> OP_CHECKSIG`: the commitment holder's own output after the
 * challenge period. Byte-for-byte the deposit reclaim leaf, so that template's checks (block-based lock, 1..65535)
 * are reused.
 */
export function buildDelayedLeaf(params: DelayedLeafParams): Uint8Array {
  return buildReclaimScript({ lockBlocks: params.delayBlocks, depositorKey: params.holderKey });
}

export function parseDelayedLeaf(script: Uint8Array): DelayedLeafParams {
  const { lockBlocks, depositorKey } = parseReclaimScript(script);
  return { delayBlocks: lockBlocks, holderKey: depositorKey };
}

export const delayedLeaf: ScriptTemplate<DelayedLeafParams> = { name: 'channel delayed leaf', build: buildDelayedLeaf, parse: parseDelayedLeaf };
