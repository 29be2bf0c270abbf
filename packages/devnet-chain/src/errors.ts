/**
 * Bitcoin Core's RPC error codes (src/rpc/protocol.h) for the subset the devnet serves. Transaction
 * rejections use the same codes and reject reasons as Core so clients can match on them.
 */
export const RPC_ERROR = {
  MISC_ERROR: -1,
  TYPE_ERROR: -3,
  WALLET_ERROR: -4,
  INVALID_ADDRESS_OR_KEY: -5,
  WALLET_INSUFFICIENT_FUNDS: -6,
  INVALID_PARAMETER: -8,
  DESERIALIZATION_ERROR: -22,
  VERIFY_ERROR: -25,
  VERIFY_REJECTED: -26,
  VERIFY_ALREADY_IN_CHAIN: -27,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  PARSE_ERROR: -32700,
} as const;

export type RpcErrorCode = (typeof RPC_ERROR)[keyof typeof RPC_ERROR];

/** An error with a Core RPC code; the message is what Core would print (e.g. "bad-txns-inputs-missingorspent"). */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A transaction failed mempool or block validation; `reason` is Core's reject reason. */
export class TxRejectedError extends RpcError {
  constructor(
    code: RpcErrorCode,
    readonly reason: string,
    readonly debug?: string,
  ) {
    super(code, debug === undefined ? reason : `${reason}, ${debug}`);
  }
}

export const rejectTx = (reason: string, debug?: string): TxRejectedError =>
  new TxRejectedError(RPC_ERROR.VERIFY_REJECTED, reason, debug);
