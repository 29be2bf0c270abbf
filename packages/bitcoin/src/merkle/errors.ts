/** Which merkle rule failed; stable codes callers can branch on. */
export type MerkleErrorCode =
  | 'empty'
  | 'mutated'
  | 'bad-proof'
  | 'root-mismatch'
  | 'index-out-of-range'
  | 'witness-nonce-size'
  | 'witness-merkle-match'
  | 'unexpected-witness';

export class MerkleError extends Error {
  override readonly name = 'MerkleError';
  constructor(
    readonly code: MerkleErrorCode,
    message: string,
  ) {
    super(message);
  }
}
