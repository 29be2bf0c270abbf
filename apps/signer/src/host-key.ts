// `node apps/signer/dist/host-key.js`: prints this signer's host public key, creating the encrypted host key file on
// first use, and exits. Needs only SIGNER_INDEX, SIGNER_DATA_DIR and SIGNER_KEY_PASSPHRASE, so an operator (or the
// devnet stack script) can collect every signer's key for SIGNER_HOST_PUBKEYS before any service starts: outside
// regtest a signer refuses to start without those pins.
import { bytesToHex } from '@noble/hashes/utils.js';
import { loadConfig, passphrase, positiveInt, z } from '@tapbridge/config';
import { hostPublicKey, MIN_PASSPHRASE_LENGTH } from '@tapbridge/signing';
import { SignerKeyStore } from './key-store.js';

const hostKeyConfig = z.object({
  SIGNER_INDEX: positiveInt(),
  SIGNER_DATA_DIR: z.string().min(1),
  SIGNER_KEY_PASSPHRASE: passphrase(MIN_PASSPHRASE_LENGTH),
});

try {
  const config = loadConfig(hostKeyConfig);
  const { seckey } = await new SignerKeyStore(config.SIGNER_DATA_DIR, config.SIGNER_INDEX, config.SIGNER_KEY_PASSPHRASE).hostKey();
  process.stdout.write(`${bytesToHex(hostPublicKey(seckey))}\n`);
} catch (err) {
  process.stderr.write(`signer host-key: ${(err as Error).message}\n`);
  process.exit(1);
}
