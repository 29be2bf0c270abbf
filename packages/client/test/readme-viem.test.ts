// The README describes the L2 for viem with a defineChain(...) call and names the bridge's address. Both are run
// here with viem itself: the chain definition is taken from the README text and evaluated, and the address must be
// what viem accepts (mixed case that is not the EIP-55 checksum is an error there).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as viem from 'viem';
import { repoRoot } from '@tapbridge/testing';

const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');

describe('the README for viem users', () => {
  it('defines the devnet chain with viem: id, currency and RPC URLs as documented', () => {
    const call = /defineChain\((\{[\s\S]*?\})\)(?=`| )/.exec(readme.replace(/\n/g, ' '))?.[1];
    expect(call, 'README has a defineChain({...}) call').toBeDefined();
    const chain = new Function('defineChain', `return defineChain(${call});`)(viem.defineChain) as viem.Chain;
    expect(chain.id).toBe(29794);
    expect(chain.nativeCurrency).toEqual({ name: 'Bitcoin', symbol: 'BTC', decimals: 18 });
    expect(chain.rpcUrls.default.http).toEqual(['http://127.0.0.1:8545']);
    // A client builds on it (no request is made).
    const client = viem.createPublicClient({ chain, transport: viem.http(chain.rpcUrls.default.http[0]) });
    expect(client.chain.id).toBe(29794);
  });

  it('names every 0x address in its EIP-55 form (viem rejects a wrong mixed-case checksum)', () => {
    const addresses = [...readme.matchAll(/0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g)].map((m) => m[0]);
    expect(addresses).toContain('0x0000000000000000000000000000000000b71d6E');
    for (const a of addresses) {
      // All lower case is accepted as unchecked; anything with capitals must be the checksum.
      if (a !== a.toLowerCase()) expect(viem.isAddress(a, { strict: true }), a).toBe(true);
      expect(viem.getAddress(a.toLowerCase()) === a || a === a.toLowerCase(), `${a} is neither lower case nor EIP-55`).toBe(true);
    }
    expect(viem.isAddress('0x0000000000000000000000000000000000B71D6E', { strict: true })).toBe(false);
  });
});
