import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { nonceGen } from '@tapbridge/frost';
import { describe, expect, it } from 'vitest';
import { GroupKey } from '@tapbridge/frost';
import { KeyFileError, openKeyShare, pubsharesMismatch, sealKeyShare, SecretNonceStore } from '../src/index.js';
import { Group } from './helpers.js';

describe('key share files', () => {
  it('round-trip a DKG share and refuse it for another signer or with a share that does not match', async () => {
    const group = new Group(3, 2);
    await group.runDkg();
    const share = group.saved.get(2);
    if (!share) throw new Error('no share');
    const text = await sealKeyShare(share, 'signer two passphrase');
    expect(text).not.toContain(bytesToHex(share.secshare));
    const opened = await openKeyShare(text, 'signer two passphrase', 2);
    expect(bytesToHex(opened.secshare)).toBe(bytesToHex(share.secshare));
    expect(bytesToHex(opened.groupKey.threshPk)).toBe(bytesToHex(share.groupKey.threshPk));
    expect(opened.hostPubkeys.map(bytesToHex)).toEqual(share.hostPubkeys.map(bytesToHex));
    await expect(openKeyShare(text, 'signer two passphrase', 3)).rejects.toThrow(/belongs to signer 2, this is signer 3/);
    // Signer 1's secret under signer 2's header: decrypts (same passphrase) but is not signer 2's share.
    const other = group.saved.get(1);
    if (!other) throw new Error('no share');
    const swapped = await sealKeyShare({ ...share, secshare: other.secshare }, 'signer two passphrase');
    await expect(openKeyShare(swapped, 'signer two passphrase', 2)).rejects.toThrow(KeyFileError);
  });
});

describe('public shares', () => {
  it('a DKG\'s public shares interpolate to the group key; a substituted one is found on load', async () => {
    const group = new Group(5, 3);
    await group.runDkg();
    const share = group.saved.get(1);
    if (!share) throw new Error('no share');
    expect(pubsharesMismatch(share.groupKey)).toBeNull();
    // Signer 4's public share replaced (a tampered row or file): still a valid point, but off the polynomial.
    const pubshares = [...share.groupKey.pubshares];
    pubshares[3] = share.groupKey.pubshares[4] as Uint8Array;
    const tampered = GroupKey.fromShares({ n: 5, t: 3, threshPk: share.groupKey.threshPk, pubshares });
    expect(pubsharesMismatch(tampered)).toBe('the public shares of signers 1, 2, 4 do not interpolate to the group key');
    const text = await sealKeyShare({ ...share, groupKey: tampered }, 'signer one passphrase');
    await expect(openKeyShare(text, 'signer one passphrase', 1)).rejects.toThrow(/do not interpolate to the group key/);
  });
});

describe('secret nonce store', () => {
  const fresh = () => nonceGen({ msg: randomBytes(32) });

  it('hands a nonce out once and erases it', () => {
    const store = new SecretNonceStore();
    const { secnonce, pubnonce } = fresh();
    store.put('s#1', pubnonce, secnonce);
    expect(store.take('s#1', pubnonce)).toBe(secnonce);
    expect(store.take('s#1', pubnonce)).toBeUndefined();
    expect(store.take('s#2', pubnonce)).toBeUndefined();
  });

  it('erases a discarded session and expired nonces (they can no longer sign)', () => {
    let now = 0;
    const store = new SecretNonceStore(1_000, () => now);
    const a = fresh();
    const b = fresh();
    store.put('old#1', a.pubnonce, a.secnonce);
    store.put('new#2', b.pubnonce, b.secnonce);
    expect(store.discardSession('old#1')).toBe(1);
    expect(a.secnonce.used).toBe(true);
    now = 2_000;
    store.sweep();
    expect(b.secnonce.used).toBe(true);
    expect(store.size).toBe(0);
  });
});
