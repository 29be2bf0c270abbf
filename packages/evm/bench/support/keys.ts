import { SigningKey, computeAddress } from 'ethers';

/** Deterministic bench keys (never use outside a dev chain). */
export function benchKeys(count: number): { privateKey: string; address: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const privateKey = `0x${(0xbe7c4000n + BigInt(i)).toString(16).padStart(64, '0')}`;
    return { privateKey, address: computeAddress(new SigningKey(privateKey).publicKey) };
  });
}
