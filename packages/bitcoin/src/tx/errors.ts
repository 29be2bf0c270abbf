/** A transaction cannot be signed or built as asked (bad index, hash type, missing prevouts, fee too high). */
export class TransactionError extends Error {
  override readonly name = 'TransactionError';
}
