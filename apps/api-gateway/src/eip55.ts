import { hexToBytes, toChecksumAddress as checksumOfBytes } from '@tapbridge/bitcoin';

/** The EIP-55 form of a 0x address given in any case (the caller has checked its shape). */
export function toChecksumAddress(address: string): string {
  return checksumOfBytes(hexToBytes(address.slice(2).toLowerCase()));
}
