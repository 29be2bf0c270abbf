import { z } from 'zod';

// Parameter shapes of the Ethereum JSON-RPC API (execution-apis), validated before any handler runs.

export const Address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte 0x address').transform((s) => s.toLowerCase());
export const Hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 32-byte 0x hash').transform((s) => s.toLowerCase());
export const Data = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed even-length hex data');
export const Quantity = z
  .string()
  .regex(/^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/, 'expected a 0x quantity without leading zeros')
  .transform((s) => BigInt(s));
/** Storage slots are often sent zero-padded, so leading zeros are accepted here. */
export const StorageSlot = z.string().regex(/^0x[0-9a-fA-F]{1,64}$/, 'expected a storage slot (up to 32 bytes of hex)');

export const BlockTag = z.enum(['latest', 'pending', 'safe', 'finalized', 'earliest']);
/** Block number or tag, or (EIP-1898) an object naming a block by number or hash. */
export const BlockSpecifier = z.union([
  BlockTag,
  Quantity,
  z.object({ blockNumber: Quantity }).strict(),
  z.object({ blockHash: Hash, requireCanonical: z.boolean().optional() }).strict(),
]);
export type BlockSpecifier = z.infer<typeof BlockSpecifier>;

/** Only tag or number: what methods that predate EIP-1898 take. */
export const BlockNumberOrTag = z.union([BlockTag, Quantity]);

export const CallObject = z
  .object({
    from: Address.optional(),
    to: Address.nullable().optional(),
    gas: Quantity.optional(),
    gasPrice: Quantity.optional(),
    maxFeePerGas: Quantity.optional(),
    maxPriorityFeePerGas: Quantity.optional(),
    value: Quantity.optional(),
    data: Data.optional(),
    input: Data.optional(),
    nonce: Quantity.optional(),
    type: Quantity.optional(),
    chainId: Quantity.optional(),
    accessList: z.array(z.object({ address: Address, storageKeys: z.array(Hash) })).optional(),
  })
  .refine((c) => c.data === undefined || c.input === undefined || c.data === c.input, { message: 'both "data" and "input" are set and not equal' });
export type CallObject = z.infer<typeof CallObject>;

const TopicEntry = z.union([Hash, z.null(), z.array(Hash.nullable())]);
export const LogFilterObject = z
  .object({
    fromBlock: BlockNumberOrTag.optional(),
    toBlock: BlockNumberOrTag.optional(),
    address: z.union([Address, z.array(Address)]).optional(),
    topics: z.array(TopicEntry).max(4).optional(),
    blockHash: Hash.optional(),
  })
  .refine((f) => f.blockHash === undefined || (f.fromBlock === undefined && f.toBlock === undefined), {
    message: 'cannot specify both blockHash and fromBlock/toBlock',
  });
export type LogFilterObject = z.infer<typeof LogFilterObject>;

export const Params = {
  none: z.tuple([]),
  address_block: z.tuple([Address, BlockSpecifier.optional()]),
  storage: z.tuple([Address, StorageSlot, BlockSpecifier.optional()]),
  call: z.tuple([CallObject, BlockSpecifier.optional()]),
  rawTx: z.tuple([Data]),
  hash: z.tuple([Hash]),
  blockByNumber: z.tuple([BlockNumberOrTag, z.boolean().optional()]),
  blockByHash: z.tuple([Hash, z.boolean().optional()]),
  blockNumberOnly: z.tuple([BlockNumberOrTag]),
  blockHashOnly: z.tuple([Hash]),
  logs: z.tuple([LogFilterObject]),
  feeHistory: z.tuple([
    z.union([Quantity, z.number().int().positive()]).transform((v) => BigInt(v)),
    BlockNumberOrTag,
    z.array(z.number().min(0).max(100)).max(100).optional(),
  ]),
  subscribe: z.union([z.tuple([z.literal('newHeads')]), z.tuple([z.literal('logs'), LogFilterObject.optional()])]),
  unsubscribe: z.tuple([z.string().regex(/^0x[0-9a-f]{1,64}$/)]),
} as const;
