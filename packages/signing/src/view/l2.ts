// The signer's own view of the L2: the bridge's final WithdrawalRequested logs, from an EVM node it trusts
// (EVM_RPC_URL). Implementations: EvmRpcL2View (JSON-RPC) and FixedL2View (fixed logs, for tests and benchmarks).

/** A WithdrawalRequested(uint256 indexed id, address indexed sender, bytes btcScriptPubKey, uint64 amountSats, uint64 maxFeeSats) log. */
export interface WithdrawalLog {
  id: bigint;
  /** 0x-prefixed lowercase. */
  sender: string;
  btcScriptPubKey: Uint8Array;
  amountSats: bigint;
  maxFeeSats: bigint;
  blockNumber: bigint;
  blockHash: string;
  transactionHash: string;
  logIndex: number;
}

export interface L2View {
  /**
   * The final WithdrawalRequested logs (buried under the finality depth) for these ids; an id without a final log
   * is absent from the map. Throws when the node cannot be asked (the policy then refuses).
   */
  finalWithdrawals(ids: readonly bigint[]): Promise<Map<bigint, WithdrawalLog>>;
}
