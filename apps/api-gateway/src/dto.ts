// The public API's shapes, declared once: each zod schema validates requests, serialises responses (@ZodResponse,
// which strips undeclared keys, so upstream internals never leak) and is the OpenAPI schema. Every response schema
// carries an example; openapi.ts copies it onto its operation. Addresses are served in EIP-55 form.
import { createZodDto, cursorPageQuery, namedCursorPage } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import { toChecksumAddress } from './eip55.js';

const TXID_EXAMPLE = '7c3f0a4d2b1e9f8a6c5d4e3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a39';
const RECIPIENT_EXAMPLE = '0x8ba1f109551bD432803012645Ac136ddd64DBA72';
const HASH_EXAMPLE = '3a6f1c0e5b9d8a7f6e5d4c3b2a19f8e7d6c5b4a39281706f5e4d3c2b1a098f7e';

const txid = z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits').transform((s) => s.toLowerCase());
const sats = z.string().regex(/^(0|[1-9][0-9]*)$/, 'must be a whole number of satoshis as a decimal string');
/** Any case on input; EIP-55 on output. A mixed-case input must be the checksum form (as viem and ethers insist). */
export const evmAddress = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address')
  .refine((a) => a === a.toLowerCase() || a.slice(2) === a.slice(2).toUpperCase() || toChecksumAddress(a) === a, 'mixed-case address with a wrong EIP-55 checksum')
  .transform(toChecksumAddress);
/** What the API serves: always the EIP-55 form (Reads converts what the owners answer). */
const evmAddressOut = z.string().regex(/^0x[0-9a-fA-F]{40}$/).describe('EIP-55 checksum form');
const withdrawalId = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'must be a decimal uint256');

// ---- deposit addresses ----
export const depositAddressRequest = z.object({
  recipient: evmAddress.describe('EVM address credited on the L2'),
  maxFeeSats: sats.describe('Most the signers may take from this deposit as sweep fee, satoshis'),
  reclaimKey: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be a 32-byte x-only public key, 64 hex digits').describe('The depositor\u2019s x-only public key that may reclaim after lockBlocks'),
  lockBlocks: z.number().int().min(1).max(65_535).describe('Blocks after which the depositor may reclaim (CSV)'),
}).meta({ example: { recipient: RECIPIENT_EXAMPLE, maxFeeSats: '20000', reclaimKey: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798', lockBlocks: 144 } });
export class DepositAddressRequestDto extends createZodDto(depositAddressRequest) {}

const leaf = z.object({ script: z.string(), leafVersion: z.number().int(), leafHash: z.string(), controlBlock: z.string() });
export const depositAddressView = z.object({
  network: z.string(),
  address: z.string().describe('The P2TR address to pay (bech32m)'),
  scriptPubKey: z.string(),
  internalKey: z.string().describe('NUMS point: the output has no key path'),
  outputKey: z.string(),
  merkleRoot: z.string(),
  groupKey: z.string().describe('The custody group key the deposit leaf pays (from the signing-coordinator)'),
  leaves: z.object({ deposit: leaf, reclaim: leaf }),
  register: z.object({ depositScript: z.string(), reclaimScript: z.string() }).describe('Post these with the outpoint to POST /v1/deposits'),
}).meta({
  example: {
    network: 'regtest', address: 'bcrt1p…', scriptPubKey: '5120…', internalKey: '50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0', outputKey: '…', merkleRoot: '…',
    groupKey: '…', leaves: { deposit: { script: '…', leafVersion: 192, leafHash: '…', controlBlock: '…' }, reclaim: { script: '…', leafVersion: 192, leafHash: '…', controlBlock: '…' } },
    register: { depositScript: '…', reclaimScript: '…' },
  },
});
export class DepositAddressDto extends createZodDto(depositAddressView) {}

// ---- deposits ----
/** The indexer's statuses, and held_capacity: confirmed but held back until the signers' stake covers it. */
export const DEPOSIT_STATUSES = ['registered', 'seen', 'confirmed', 'held_capacity', 'minted', 'swept', 'reclaimed', 'spent', 'dropped', 'reorged'] as const;
const depositStatus = z.enum(DEPOSIT_STATUSES);

export const registerDepositRequest = z.object({
  txid: txid.describe('Deposit transaction id, display hex'),
  vout: z.number().int().min(0).max(0xffff_ffff),
  depositScript: z.string().regex(/^([0-9a-fA-F]{2})+$/, 'must be hex'),
  reclaimScript: z.string().regex(/^([0-9a-fA-F]{2})+$/, 'must be hex'),
}).meta({ example: { txid: TXID_EXAMPLE, vout: 0, depositScript: '…', reclaimScript: '…' } });
export class RegisterDepositDto extends createZodDto(registerDepositRequest) {}

export const depositView = z.object({
  txid: z.string(),
  vout: z.number().int(),
  kind: z.enum(['taproot', 'op_return']),
  status: depositStatus.describe('registered → seen → confirmed → (held_capacity →) minted → swept; reclaimed / dropped / reorged'),
  amountSats: z.string(),
  recipient: evmAddressOut.describe('EVM recipient, EIP-55'),
  maxFeeSats: z.string(),
  scriptPubKey: z.string(),
  blockHash: z.string().optional(),
  blockHeight: z.number().int().optional(),
  confirmations: z.number().int(),
  registeredAt: z.string(),
  updatedAt: z.string(),
  history: z.array(z.object({ status: z.string(), detail: z.string(), at: z.string(), blockHash: z.string().optional(), blockHeight: z.number().int().optional() })).optional(),
}).meta({
  example: {
    txid: TXID_EXAMPLE, vout: 0, kind: 'taproot', status: 'confirmed', amountSats: '1000000', recipient: RECIPIENT_EXAMPLE, maxFeeSats: '20000', scriptPubKey: '5120…',
    blockHash: HASH_EXAMPLE, blockHeight: 812, confirmations: 6, registeredAt: '2026-12-03T12:00:00.000Z', updatedAt: '2026-12-03T13:00:00.000Z',
    history: [{ status: 'registered', detail: 'registered by its scripts', at: '2026-12-03T12:00:00.000Z' }, { status: 'confirmed', detail: '6 confirmations', at: '2026-12-03T13:00:00.000Z', blockHash: HASH_EXAMPLE, blockHeight: 812 }],
  },
});
export class DepositDto extends createZodDto(depositView) {}
export class DepositParams extends createZodDto(z.object({ txid, vout: z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'must be an output index').transform(Number).refine((n) => n <= 0xffff_ffff, 'must be an output index') })) {}

export const depositPage = z.object({
  deposits: z.array(depositView),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last'),
}).meta({ example: { deposits: [], nextCursor: null } });
export class DepositPageDto extends createZodDto(depositPage) {}
export class DepositsQuery extends createZodDto(z.object({
  recipient: evmAddress.optional().describe('Deposits crediting this EVM address'),
  address: z.string().regex(/^(bc|tb|bcrt)1[02-9ac-hj-np-z]{8,87}$/, 'must be a bech32/bech32m Bitcoin address').optional().describe('Deposits paid to this Bitcoin address'),
  status: depositStatus.optional(),
  limit: z.string().regex(/^[1-9][0-9]{0,2}$/, 'limit must be 1..999').transform(Number).optional(),
  cursor: z.string().max(200).optional(),
}).refine((q) => q.recipient !== undefined || q.address !== undefined, 'give recipient or address')) {}

// ---- withdrawals ----
export const withdrawalView = z.object({
  id: z.string().describe('Bridge withdrawal id (decimal uint256)'),
  sender: evmAddressOut,
  scriptPubKey: z.string().describe('Where the BTC goes (hex scriptPubKey)'),
  amountSats: z.string(),
  maxFeeSats: z.string(),
  status: z.string().describe('final → queued → signing → broadcast → confirmed → paid'),
  confirmations: z.number().int(),
  txid: z.string().optional(),
  vout: z.number().int().optional(),
  feeSats: z.string().optional(),
  amountReceivedSats: z.string().optional(),
  waitingReason: z.string().optional(),
  waitingBlocks: z.number().int(),
  stuck: z.boolean(),
  history: z.array(z.object({ status: z.string(), detail: z.string(), sweepTxid: z.string().optional() })).optional(),
}).meta({
  example: {
    id: '7', sender: RECIPIENT_EXAMPLE, scriptPubKey: '0014…', amountSats: '500000', maxFeeSats: '10000', status: 'paid', confirmations: 6, txid: TXID_EXAMPLE, vout: 1,
    feeSats: '1400', amountReceivedSats: '498600', waitingBlocks: 0, stuck: false, history: [{ status: 'final', detail: 'final on the L2' }, { status: 'paid', detail: '6 confirmations', sweepTxid: TXID_EXAMPLE }],
  },
});
export class WithdrawalDto extends createZodDto(withdrawalView) {}
export class WithdrawalParams extends createZodDto(z.object({ id: withdrawalId })) {}
export const withdrawalList = namedCursorPage('withdrawals', withdrawalView)
  .meta({ example: { withdrawals: [withdrawalView.meta()?.example], nextCursor: null } })
  .describe('By status a page at a time; by sender one answer (nextCursor null)');
export class WithdrawalListDto extends createZodDto(withdrawalList) {}
/** The sweep-coordinator's withdrawal states (packages/sweeps WITHDRAWAL_STATUSES). */
export const WITHDRAWAL_STATUSES = ['final', 'queued', 'signing', 'broadcast', 'confirmed', 'paid'] as const;
export class WithdrawalsQuery extends createZodDto(
  cursorPageQuery(withdrawalId.describe('nextCursor of the previous page (status only)'), { defaultLimit: 100, maxLimit: 500 })
    .extend({
      sender: evmAddress.optional().describe('The withdrawals this EVM address burned for'),
      status: z.enum(WITHDRAWAL_STATUSES).optional().describe('The withdrawals in this state, in arrival (id) order, a page at a time'),
    })
    .refine((q) => (q.sender === undefined) !== (q.status === undefined), 'give sender or status (one of them)'),
) {}

// ---- signing sessions ----
export const signingSessionView = z.object({
  id: z.string().describe('Signature request id'),
  status: z.enum(['pending', 'signed', 'failed']),
  purpose: z.string().describe('What is signed: sweep, channel, heartbeat, …'),
  message: z.string().describe('The bytes signed (hex)'),
  outputKey: z.string().describe('x-only key the signature verifies under (BIP340)'),
  signature: z.string().nullable(),
  signers: z.array(z.number().int()).nullable().describe('Signers whose partial signatures made the signature; null until signed'),
  attempt: z.number().int().describe('Fresh-nonce attempts so far'),
  error: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
export const signingSessionPage = namedCursorPage('sessions', signingSessionView).meta({
  example: {
    sessions: [{
      id: `sweep:${TXID_EXAMPLE}`, status: 'signed', purpose: 'sweep', message: HASH_EXAMPLE, outputKey: '…', signature: '…', signers: [1, 2, 4], attempt: 1, error: null,
      createdAt: '2026-12-03T13:00:00.000Z', completedAt: '2026-12-03T13:00:02.000Z',
    }],
    nextCursor: null,
  },
});
export class SigningSessionPageDto extends createZodDto(signingSessionPage) {}
export class SigningSessionsQuery extends createZodDto(
  cursorPageQuery(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9:._/#-]{0,127}$/, 'cursor must be the nextCursor of a previous page'), { defaultLimit: 50, maxLimit: 500 })
    .extend({ status: z.enum(['pending', 'signed', 'failed']).optional() }),
) {}

// ---- reserves, chain, signers, fees and capacity ----
export const reservesView = z.object({
  custodySats: z.string().describe('Sum of the custody UTXOs (each with a merkle proof at the sweep-coordinator)'),
  custodyUtxos: z.number().int(),
  utxos: z.array(z.object({
    kind: z.enum(['custody', 'deposit']),
    txid: z.string(),
    vout: z.number().int(),
    amountSats: z.string(),
    blockHash: z.string(),
    blockHeight: z.number().int(),
    merkleProof: z.string().nullable().describe('Merkle block (gettxoutproof format) proving the transaction in blockHash'),
  })).describe('Each custody UTXO with the proof that its transaction is in the chain'),
  l2SupplySats: z.string().nullable(),
  pendingWithdrawalsSats: z.string().nullable(),
  feesPaidSats: z.string(),
  discrepancySats: z.string().nullable().describe('custody − (L2 supply + pending − fees paid)'),
  invariantHolds: z.boolean().nullable(),
  invariant: z.string(),
  checkedAt: z.string(),
}).meta({ example: { custodySats: '150000000', custodyUtxos: 1, utxos: [{ kind: 'custody', txid: TXID_EXAMPLE, vout: 0, amountSats: '150000000', blockHash: HASH_EXAMPLE, blockHeight: 812, merkleProof: '00000020…' }], l2SupplySats: '149000000', pendingWithdrawalsSats: '1000000', feesPaidSats: '0', discrepancySats: '0', invariantHolds: true, invariant: 'custody = supply + pending - fees', checkedAt: '2026-12-03T13:00:00.000Z' } });
export class ReservesDto extends createZodDto(reservesView) {}

export const chainView = z.object({
  bitcoin: z.object({
    network: z.string(),
    tipHeight: z.number().int(),
    tipHash: z.string(),
    tipTime: z.number().int().describe('Block time, seconds since the epoch'),
    sources: z.array(z.object({ name: z.string(), height: z.number().int().optional(), lag: z.number().int().optional(), lastError: z.string().optional() })).describe('Each chain source\u2019s claimed tip: disagreements show as lag'),
  }),
  l2: z.object({
    chainId: z.number().int(),
    height: z.number().int(),
    headHash: z.string(),
    finalizedHeight: z.number().int().describe('Withdrawals burned at or below this height are final'),
    finalityDepth: z.number().int(),
    bridgeAddress: evmAddressOut.describe('The predeployed bridge contract, EIP-55'),
  }),
}).meta({
  example: {
    bitcoin: { network: 'regtest', tipHeight: 812, tipHash: HASH_EXAMPLE, tipTime: 1_796_300_000, sources: [{ name: 'core@127.0.0.1:18443', height: 812, lag: 0 }] },
    l2: { chainId: 29794, height: 4021, headHash: `0x${HASH_EXAMPLE}`, finalizedHeight: 4011, finalityDepth: 10, bridgeAddress: '0x0000000000000000000000000000000000b71d6E' },
  },
});
export class ChainDto extends createZodDto(chainView) {}

export const signerSetView = z.object({
  groupKey: z.string().nullable(),
  custodyAddress: z.string().nullable(),
  signers: z.number().int(),
  live: z.number().int(),
  ready: z.number().int(),
  members: z.array(z.object({
    index: z.number().int(), live: z.boolean(), ready: z.boolean(), lastSeen: z.string().nullable(), misbehaviourCount: z.number().int(), lastMisbehaviour: z.string().nullable(),
  })),
  stake: z.object({
    epoch: z.object({
      epoch: z.number().int(), startHeight: z.number().int().describe('Bitcoin height the epoch started at'), threshold: z.number().int(),
      totalStake: z.string().describe('Stake of the epoch\u2019s set, stake-token base units'), members: z.array(z.string()).describe('Host keys of the epoch\u2019s signer set'),
    }).nullable().describe('null before the first epoch'),
    signers: z.array(z.object({
      address: evmAddressOut.describe('Bonding address, EIP-55'), hostPubkey: z.string(), selfBond: z.string(), delegated: z.string(), stake: z.string(),
      unbonding: z.string(), status: z.string().describe('active, jailed or standby'), jailedUntilEpoch: z.number().int(),
    })),
  }).nullable().describe('Bonded stake from stake-accounting; null while no service answers rpc.stake.signers.list'),
}).meta({
  example: {
    groupKey: '…', custodyAddress: 'bcrt1p…', signers: 3, live: 3, ready: 3,
    members: [{ index: 1, live: true, ready: true, lastSeen: '2026-12-03T13:00:00.000Z', misbehaviourCount: 0, lastMisbehaviour: null }],
    stake: {
      epoch: { epoch: 4, startHeight: 140, threshold: 2, totalStake: '3000000000000000000000', members: ['…'] },
      signers: [{ address: RECIPIENT_EXAMPLE, hostPubkey: '…', selfBond: '1000000000000000000000', delegated: '0', stake: '1000000000000000000000', unbonding: '0', status: 'active', jailedUntilEpoch: 0 }],
    },
  },
});
export class SignerSetDto extends createZodDto(signerSetView) {}

export const feesView = z.object({
  feeRateSatPerVb: z.number().nullable().describe('The sweep planner\u2019s current fee rate'),
  pipeline: z.string().describe('idle, sweep-in-flight or halted'),
  waitingWithdrawals: z.number().int(),
  stuckWithdrawals: z.array(z.string()),
  outflow: z.object({ limitBps: z.number().int(), windowHours: z.number(), heldBack: z.array(z.string()) }),
  l2SupplySats: z.string().describe('BTC on the L2 (what the bridge owes)'),
  capacity: z.object({
    status: z.enum(['open', 'frozen']).describe('frozen: no fresh stake price, or what the bridge owes is unknown; deposits then wait'),
    capacitySats: z.string().describe('Room for new deposits: stake value / collateral ratio − obligations (negative when under-collateralised, 0 when frozen)'),
    stakeUnits: z.string().describe('Stake backing custody, stake-token base units'),
    stakeValueSats: z.string().nullable(),
    obligationsSats: z.string().describe('What the bridge owes (the L2 supply of bridged BTC)'),
    collateralRatioBps: z.number().int().describe('Required stake value / obligations, bps'),
    ratioBps: z.string().nullable().describe('Actual stake value / obligations, bps (null when nothing is owed or frozen)'),
    priceSatsPerToken: z.string().nullable(),
    reason: z.string().nullable().describe('Why capacity is frozen'),
    at: z.string(),
  }).nullable().describe('Stake capacity from stake-accounting (rpc.stake.capacity.get); null while no service answers it'),
}).meta({
  example: {
    feeRateSatPerVb: 2, pipeline: 'idle', waitingWithdrawals: 0, stuckWithdrawals: [], outflow: { limitBps: 2000, windowHours: 24, heldBack: [] }, l2SupplySats: '149000000',
    capacity: { status: 'open', capacitySats: '51000000', stakeUnits: '3000000000000000000000', stakeValueSats: '300000000', obligationsSats: '149000000', collateralRatioBps: 15000, ratioBps: '20134', priceSatsPerToken: '100000', reason: null, at: '2026-12-03T13:00:00.000Z' },
  },
});
export class FeesDto extends createZodDto(feesView) {}

// ---- the operators' overview ----
export const pipelineView = z.object({
  deposits: z.array(z.object({
    status: z.string(),
    count: z.number().int().describe('Deposits in this state (at most 500 counted: see more)'),
    more: z.boolean().describe('More than count are in this state'),
    oldest: z.object({ txid: z.string(), vout: z.number().int(), amountSats: z.string(), since: z.string().describe('When it last changed state') }).nullable(),
  })).describe('registered → seen → confirmed → held_capacity → minted → swept'),
  withdrawals: z.object({
    pipeline: z.string().describe('idle, sweep-in-flight or halted'),
    waiting: z.number().int().describe('Final withdrawals not yet in a sweep'),
    stuck: z.array(z.string()).describe('Ids waiting longer than WITHDRAWAL_STUCK_BLOCKS'),
    heldBack: z.array(z.string()).describe('Ids held back by the outflow limit'),
  }),
  at: z.string(),
}).meta({
  example: {
    deposits: [{ status: 'confirmed', count: 2, more: false, oldest: { txid: TXID_EXAMPLE, vout: 0, amountSats: '100000', since: '2026-12-03T13:00:00.000Z' } }],
    withdrawals: { pipeline: 'idle', waiting: 0, stuck: [], heldBack: [] }, at: '2026-12-03T13:00:05.000Z',
  },
});
export class PipelineDto extends createZodDto(pipelineView) {}

// ---- webhooks ----
export const WEBHOOK_EVENTS = ['deposit.confirmed', 'deposit.reorged', 'deposit.reclaimed', 'deposit.swept', 'withdrawal.requested', 'withdrawal.paid'] as const;
export const createWebhookRequest = z.object({
  url: z.string().url().max(2_000),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).describe('Status changes to receive'),
  deposit: z.string().regex(/^[0-9a-fA-F]{64}:(0|[1-9][0-9]{0,9})$/, 'must be <txid>:<vout>').transform((s) => s.toLowerCase()).optional().describe('Only this deposit'),
  withdrawalId: withdrawalId.optional().describe('Only this withdrawal'),
  recipient: evmAddress.optional().describe('Only deposits crediting this address'),
  sender: evmAddress.optional().describe('Only withdrawals from this address'),
}).meta({ example: { url: 'https://example.com/tapbridge-hook', events: ['deposit.confirmed', 'withdrawal.paid'], recipient: RECIPIENT_EXAMPLE } });
export class CreateWebhookDto extends createZodDto(createWebhookRequest) {}

const webhookBase = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  deposit: z.string().nullable(),
  withdrawalId: z.string().nullable(),
  recipient: z.string().nullable(),
  sender: z.string().nullable(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});
const WEBHOOK_EXAMPLE = { id: '0b8e2f0e-3d1c-4f7a-9c51-0d2f1c7b9a10', url: 'https://example.com/tapbridge-hook', events: ['deposit.confirmed'], deposit: null, withdrawalId: null, recipient: RECIPIENT_EXAMPLE, sender: null, createdAt: '2026-12-03T12:00:00.000Z', revokedAt: null };
export const webhookView = webhookBase.meta({ example: WEBHOOK_EXAMPLE });
export class WebhookDto extends createZodDto(webhookView) {}
export const createdWebhook = webhookBase.extend({
  secret: z.string().describe('HMAC-SHA256 key of the X-Tapbridge-Signature header: shown only now'),
}).meta({ example: { ...WEBHOOK_EXAMPLE, secret: 'whsec_…' } });
export class CreatedWebhookDto extends createZodDto(createdWebhook) {}
export class WebhookParams extends createZodDto(z.object({ id: z.string().uuid('must be a webhook id (uuid)') })) {}

export const attemptView = z.object({
  attempt: z.number().int(),
  startedAt: z.string(),
  durationMs: z.number().int(),
  statusCode: z.number().int().nullable(),
  error: z.string().nullable(),
});
export const deliveryView = z.object({
  id: z.string().describe('Idempotent delivery id (also the X-Tapbridge-Delivery header): one per event and subscription'),
  eventId: z.string(),
  event: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.array(attemptView),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});
export const deliveryList = z.object({ deliveries: z.array(deliveryView) }).meta({
  example: { deliveries: [{ id: 'd_5f1c…', eventId: `deposit.confirmed:${TXID_EXAMPLE}:0:${HASH_EXAMPLE}`, event: 'deposit.confirmed', status: 'delivered', createdAt: '2026-12-03T13:00:00.000Z', deliveredAt: '2026-12-03T13:00:03.000Z', attempts: [{ attempt: 1, startedAt: '2026-12-03T13:00:00.100Z', durationMs: 31, statusCode: 500, error: 'HTTP 500' }, { attempt: 2, startedAt: '2026-12-03T13:00:02.200Z', durationMs: 12, statusCode: 200, error: null }] }] },
});
export class DeliveryListDto extends createZodDto(deliveryList) {}
