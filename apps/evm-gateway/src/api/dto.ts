// The shapes of the read API, declared once: each zod schema validates requests (REST and rpc.evm.*), serialises
// responses (@ZodResponse) and is the OpenAPI schema. Amounts are decimal strings: JSON has no bigint.
// Response schemas are loose (plain strings, no regexes), request schemas strict (NEST.md).
import { createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';

export const chain = z.object({
  chainId: z.number().int().meta({ example: 29794 }),
  chainIdHex: z.string().describe('eth_chainId form').meta({ example: '0x7462' }),
  height: z.number().int().describe('Number of the latest committed block'),
  headHash: z.string().describe('Hash of the latest committed block, 0x hex'),
  finalizedHeight: z.number().int().describe('Highest block that is final (height − finalityDepth; genesis is always final), as JSON-RPC "finalized"'),
  finalityDepth: z.number().int().describe('Blocks a burn must be buried under before withdrawal.requested is published'),
  bridgeAddress: z.string().describe('The predeployed bridge contract (withdraw burns)').meta({ example: '0x0000000000000000000000000000000000b71d6E' }),
  blockTimeMs: z.number().int().describe('Longest wait before an empty block is sealed'),
  mempoolSize: z.number().int().describe('Transactions waiting in the mempool'),
  genesis: z.enum(['devnet', 'genesis-file']).describe('devnet: funded public dev keys; genesis-file: EVM_GENESIS_FILE'),
});
export class ChainDto extends createZodDto(chain) {}

const mintReorg = z.object({ reason: z.string(), recordedAt: z.string() });

const mintBacking = z.object({
  status: z.enum(['reorged', 'reconfirmed']),
  btcBlockHash: z.string().nullable().describe('Bitcoin block that left the best chain (reorged) or confirms the deposit again (reconfirmed)'),
  detail: z.string(),
  recordedAt: z.string(),
});

export const mint = z.object({
  depositId: z.string().describe('Deposit id: Bitcoin txid (display hex) and output index').meta({ example: '4a5e…:0' }),
  txid: z.string(),
  vout: z.number().int(),
  recipient: z.string().describe('L2 address credited'),
  amountSats: z.string().meta({ example: '150000' }),
  amountWei: z.string().describe('amountSats × 10^10').meta({ example: '1500000000000000' }),
  blockNumber: z.number().int().describe('L2 block holding the credit'),
  blockHash: z.string(),
  withdrawalIndex: z.string().describe('EIP-4895 withdrawal index (global counter) of the credit'),
  withdrawalPosition: z.number().int().describe('Position of the credit in the block\u2019s withdrawals list'),
  reorged: mintReorg.nullable().describe('Set while the deposit\u2019s Bitcoin block is reorged out after the mint (cleared when it confirms again)'),
  backing: z.enum(['backed', 'reorged']).describe('backed: the deposit is on the best Bitcoin chain (as last reported); reorged: not now'),
  backingHistory: z.array(mintBacking).describe('Every reorg and re-confirmation of the deposit after its mint, oldest first'),
});
export class MintDto extends createZodDto(mint) {}

export const withdrawal = z.object({
  withdrawalId: z.string().describe('The bridge\u2019s sequential withdrawal id').meta({ example: '0' }),
  status: z
    .enum(['requested', 'final', 'published'])
    .describe('requested: in a block, not yet final; final: deep enough, withdrawal.requested in the outbox; published: on JetStream'),
  sender: z.string(),
  btcScriptPubKey: z.string().describe('Bitcoin output script to pay, hex'),
  amountSats: z.string(),
  maxFeeSats: z.string(),
  evmBlockNumber: z.number().int(),
  evmBlockHash: z.string(),
  evmTxHash: z.string(),
  logIndex: z.number().int(),
  confirmations: z.number().int().describe('Blocks from the burn\u2019s block to the head, itself included'),
  finalAtBlock: z.number().int().describe('Head height at which the burn is final'),
  eventId: z.string().describe('Event id (Nats-Msg-Id) of withdrawal.requested').meta({ example: 'withdrawal.requested:0' }),
  finalizedAt: z.string().nullable(),
  publishedAt: z.string().nullable(),
});
export class WithdrawalDto extends createZodDto(withdrawal) {}

/** rpc.evm.supply.get: the L2 supply of bridged BTC (the sweep-coordinator's proof of reserves, stake capacity). */
export const bridgeSupply = z.object({
  mintedSats: z.string().describe('Every deposit credited on the L2, satoshis'),
  finalBurnedSats: z.string().describe('Every burn that reached finality (and so was published as withdrawal.requested), satoshis'),
  channelCreditedSats: z.string().describe('Channel payments credited as L2 BTC (channel ledger system calls), satoshis'),
  channelBurnedSats: z.string().describe('Channel returns burned from L2 BTC, satoshis'),
  supplySats: z.string().describe('mintedSats − finalBurnedSats + channelCreditedSats − channelBurnedSats: BTC on the L2, counting burns not yet final as still there'),
  mints: z.number().int(),
  finalBurns: z.number().int(),
});

/** rpc.evm.system_call.get: a channel ledger call by id (`channel:<txid:vout>:<state>`). */
export const systemCallStatusRequest = z.object({ id: z.string().regex(/^channel:[0-9a-f]{64}:(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,14})$/, 'must be channel:<txid:vout>:<state>') });
export class SystemCallStatusRequest extends createZodDto(systemCallStatusRequest) {}
export const systemCallStatus = z.object({
  id: z.string(),
  status: z.enum(['applied', 'refused', 'pending']).describe('applied: in a committed block; refused: a burn beyond the balance, settled without effect; pending: not in a block (yet)'),
});
export type SystemCallStatus = z.infer<typeof systemCallStatus>;

export type ChainView = z.infer<typeof chain>;
export type MintView = z.infer<typeof mint>;
export type WithdrawalView = z.infer<typeof withdrawal>;
export type BridgeSupply = z.infer<typeof bridgeSupply>;

// Requests. Path parameters arrive as text; each is checked here, so the queries only see values they can take.

/** GET /mints/:txid/:vout */
export const mintParams = z.object({
  txid: z.string().regex(/^[0-9a-fA-F]{64}$/, 'txid must be 64 hex digits').transform((s) => s.toLowerCase()),
  vout: z
    .string()
    .regex(/^(0|[1-9][0-9]{0,9})$/, 'vout must be an output index (0 to 2^32-1)')
    .transform(Number)
    .pipe(z.number().max(0xffffffff, 'vout must be an output index (0 to 2^32-1)')),
});
export class MintParams extends createZodDto(mintParams) {}

// Up to 78 digits: 2^256 − 1 has 78 (the regex before the zod DTOs allowed 77, refusing the top of the range).
const UINT_TEXT = /^(0|[1-9][0-9]{0,77})$/;

/** GET /withdrawals/:id */
export const withdrawalParams = z.object({
  id: z
    .string()
    .regex(UINT_TEXT, 'id must be a decimal uint256')
    // Its own test of the text too: zod runs every check, and BigInt() throws on text the regex refused.
    .refine((id) => UINT_TEXT.test(id) && BigInt(id) < 2n ** 256n, 'id must be a decimal uint256'),
});
export class WithdrawalParams extends createZodDto(withdrawalParams) {}

/** Requests without parameters still have to be a JSON object, as before. */
export class EmptyRequest extends createZodDto(z.looseObject({})) {}
