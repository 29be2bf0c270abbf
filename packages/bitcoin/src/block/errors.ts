/** Bitcoin Core's reject reasons for the block checks we do here. */
export type BlockErrorCode = 'bad-blk-length' | 'bad-txnmrklroot' | 'bad-txns-duplicate' | 'bad-witness-nonce-size' | 'bad-witness-merkle-match' | 'unexpected-witness' | 'bad-cb-missing';

export class BlockValidationError extends Error {
  override readonly name = 'BlockValidationError';
  constructor(
    readonly code: BlockErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
