import { hexToBytes, toChecksumAddress as checksumOfBytes } from '@tapbridge/bitcoin';

/** The EIP-55 form of a 0x address given in any case (the caller has checked its shape). */
export function toChecksumAddress(address: string): string {
  return checksumOfBytes(hexToBytes(address.slice(2).toLowerCase()));
}

/** An event payload as served (webhooks, SSE): its recipient / sender in EIP-55 form, everything else as published. */
export function publicPayload(payload: unknown): object {
  const p = { ...(payload as Record<string, unknown>) };
  for (const key of ['recipient', 'sender']) {
    const v = p[key];
    if (typeof v === 'string' && /^0x[0-9a-fA-F]{40}$/.test(v)) p[key] = toChecksumAddress(v);
  }
  return p;
}
