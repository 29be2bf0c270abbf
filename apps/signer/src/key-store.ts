// The signer's secrets on disk: host.key and share.key encrypted with the operator passphrase (packages/signing
// key files), and coordinator.json, the coordinator's pinned host public key (public). A file sealed at an older,
// weaker scrypt cost is re-encrypted at the current one as soon as it has been opened.
import fs from 'node:fs/promises';
import path from 'node:path';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { generateHostKey, keyFileNeedsReseal, openKeyFile, openKeyShare, sealKeyFile, sealKeyShare, type KeyShare } from '@tapbridge/signing';

export class SignerKeyStore {
  constructor(
    private readonly dir: string,
    private readonly index: number,
    private readonly passphrase: string,
  ) {}

  private file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Loads the host key, or creates one on first start. */
  async hostKey(): Promise<{ seckey: Uint8Array; created: boolean }> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file('host.key');
    const text = await readIfExists(file);
    if (text !== undefined) {
      const { secret } = await openKeyFile(text, this.passphrase, { kind: 'host-key', signerIndex: this.index, source: file });
      if (keyFileNeedsReseal(text)) await this.saveHostKey(secret);
      return { seckey: secret, created: false };
    }
    const seckey = generateHostKey();
    await this.saveHostKey(seckey);
    return { seckey, created: true };
  }

  private async saveHostKey(seckey: Uint8Array): Promise<void> {
    await writeAtomically(this.file('host.key'), await sealKeyFile({ kind: 'host-key', signerIndex: this.index, groupKey: null, secret: seckey }, this.passphrase));
  }

  async share(): Promise<KeyShare | undefined> {
    const file = this.file('share.key');
    const text = await readIfExists(file);
    if (text === undefined) return undefined;
    const share = await openKeyShare(text, this.passphrase, this.index, file);
    if (keyFileNeedsReseal(text)) await this.saveShare(share);
    return share;
  }

  async saveShare(share: KeyShare): Promise<void> {
    await writeAtomically(this.file('share.key'), await sealKeyShare(share, this.passphrase));
  }

  async coordinatorKey(): Promise<Uint8Array | undefined> {
    const text = await readIfExists(this.file('coordinator.json'));
    if (text === undefined) return undefined;
    const { hostPubkey } = JSON.parse(text) as { hostPubkey: string };
    return hexToBytes(hostPubkey);
  }

  async pinCoordinator(key: Uint8Array): Promise<void> {
    await writeAtomically(this.file('coordinator.json'), `${JSON.stringify({ hostPubkey: bytesToHex(key), pinnedAt: new Date().toISOString() })}\n`);
  }
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Write to a temporary file, fsync, rename: a crash leaves the old file or the new one, never half of one. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}
