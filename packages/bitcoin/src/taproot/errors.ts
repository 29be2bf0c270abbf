/** Raised when taproot inputs break a BIP340/BIP341 rule (bad key, bad control block, tweak out of range). */
export class TaprootError extends Error {
  override readonly name = 'TaprootError';
}
