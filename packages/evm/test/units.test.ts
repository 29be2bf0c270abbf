import { describe, expect, it } from 'vitest';
import { AmountError, satsToGwei, satsToWei, weiToSats } from '../src/index.js';

describe('units', () => {
  it('converts sats to wei (10^10) and gwei (×10)', () => {
    expect(satsToWei(1n)).toBe(10_000_000_000n);
    expect(satsToWei(100_000_000n)).toBe(10n ** 18n); // 1 BTC = 1 ether-unit
    expect(satsToGwei(546n)).toBe(5_460n);
  });

  it('converts whole-sat wei back and refuses fractions, negatives and non-bigints', () => {
    expect(weiToSats(123n * 10_000_000_000n)).toBe(123n);
    expect(() => weiToSats(10_000_000_001n)).toThrow(AmountError);
    expect(() => weiToSats(-10_000_000_000n)).toThrow(AmountError);
    expect(() => weiToSats(1 as unknown as bigint)).toThrow(AmountError);
    expect(() => satsToWei(2_100_000_000_000_001n)).toThrow(/21 million/);
  });
});
