/** JSON-RPC 2.0 and geth error codes, so ethers, viem and wallets classify failures as they do against geth. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** geth: transaction rejected (nonce too low, insufficient funds, …) and other server-side failures. */
  ServerError: -32000,
  /** eth_getLogs result or range too large (the code Infura and others use). */
  LimitExceeded: -32005,
  /** geth: execution reverted, with the revert payload in `data`. */
  ExecutionReverted: 3,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: string;
}

export function toErrorObject(err: RpcError): RpcErrorObject {
  return err.data === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, data: err.data };
}
