import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '@tapbridge/bitcoin';
import { ChannelError, ShachainStore, generateFromSeed, pointOf, revocationPubkey, revocationSecretKey } from '../src/index.js';

// BOLT 3 Appendix D (generation and storage) and Appendix E (revocation key) vectors.
const h = (s: string): Uint8Array => hexToBytes(s.replace(/^0x/, ''));
const FF = h('FF'.repeat(32));

describe('BOLT 3 per-commitment secrets (Appendix D)', () => {
  it.each([
    ['00'.repeat(32), 281474976710655n, '02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148'],
    ['FF'.repeat(32), 281474976710655n, '7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc'],
    ['FF'.repeat(32), 0xaaaaaaaaaaan, '56f4008fb007ca9acf0e15b054d5c9fd12ee06cea347914ddbaed70d1c13a528'],
    ['FF'.repeat(32), 0x555555555555n, '9015daaeb06dba4ccc05b91b2f73bd54405f2be9f217fbacd3c5ac2e62327d31'],
    ['01'.repeat(32), 1n, '915c75942a26bb3a433a8ce2cb0427c29ec6c1775cfc78328b57f6ba7bfeaa9c'],
  ])('generate_from_seed(%s, %s)', (seed, index, out) => {
    expect(bytesToHex(generateFromSeed(h(seed), index))).toBe(out);
  });

  const correct = [
    '7cc854b54e3e0dcdb010d7a3fee464a9687be6e8db3be6854c475621e007a5dc',
    'c7518c8ae4660ed02894df8976fa1a3659c1a8b4b5bec0c4b872abeba4cb8964',
    '2273e227a5b7449b6e70f1fb4652864038b1cbf9cd7c043a7d6456b7fc275ad8',
    '27cddaa5624534cb6cb9d7da077cf2b22ab21e9b506fd4998a51d54502e99116',
    'c65716add7aa98ba7acb236352d665cab17345fe45b55fb879ff80e6bd0c41dd',
    '969660042a28f32d9be17344e09374b379962d03db1574df5a8a5a47e19ce3f2',
    'a5a64476122ca0925fb344bdc1854c1c0a59fc614298e50a33e331980a220f32',
    '05cde6323d949933f7f7b78776bcc1ea6d9b31447732e3802e1f7ac44b650e17',
  ];
  const run = (secrets: string[]): number => {
    const store = new ShachainStore();
    for (let i = 0; i < secrets.length; i++) {
      try {
        store.insert(h(secrets[i]!), 281474976710655n - BigInt(i));
      } catch (e) {
        expect(e).toBeInstanceOf(ChannelError);
        return i;
      }
    }
    return -1;
  };
  const replace = (changes: Record<number, string>): string[] => correct.map((s, i) => changes[i] ?? s);

  it('stores the correct sequence and derives every secret back from the compact store', () => {
    expect(run(correct)).toBe(-1);
    const store = new ShachainStore();
    correct.forEach((s, i) => store.insert(h(s), 281474976710655n - BigInt(i)));
    const reloaded = ShachainStore.fromJson(JSON.parse(JSON.stringify(store.toJson())));
    correct.forEach((s, i) => expect(bytesToHex(reloaded.derive(281474976710655n - BigInt(i))!)).toBe(s));
    for (let i = 0; i < 8; i++) expect(bytesToHex(generateFromSeed(FF, 281474976710655n - BigInt(i)))).toBe(correct[i]);
  });

  it.each([
    ['#1', { 0: '02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148' }, 1],
    ['#2', { 0: '02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148', 1: 'dddc3a8d14fddf2b68fa8c7fbad2748274937479dd0f8930d5ebb4ab6bd866a3' }, 3],
    ['#3', { 2: 'c51a18b13e8527e579ec56365482c62f180b7d5760b46e9477dae59e87ed423a' }, 3],
    ['#4', { 0: '02a40c85b6f28da08dfdbe0926c53fab2de6d28c10301f8f7c4073d5e42e3148', 1: 'dddc3a8d14fddf2b68fa8c7fbad2748274937479dd0f8930d5ebb4ab6bd866a3', 2: 'c51a18b13e8527e579ec56365482c62f180b7d5760b46e9477dae59e87ed423a', 3: 'ba65d7b0ef55a3ba300d4e87af29868f394f8f138d78a7011669c79b37b936f4' }, 7],
    ['#5', { 4: '631373ad5f9ef654bb3dade742d09504c567edd24320d2fcd68e3cc47e2ff6a6' }, 5],
    ['#6', { 4: '631373ad5f9ef654bb3dade742d09504c567edd24320d2fcd68e3cc47e2ff6a6', 5: 'b7e76a83668bde38b373970155c868a653304308f9896692f904a23731224bb1' }, 7],
    ['#7', { 6: 'e7971de736e01da8ed58b94c2fc216cb1dca9e326f3a96e7194fe8ea8af6c0a3' }, 7],
    ['#8', { 7: 'a7efbc61aac46d34f77778bac22c8a20c6a46ca460addc49009bda875ec88fa4' }, 7],
  ] as const)('insert_secret %s incorrect is caught at the vector\'s ERROR step', (_name, changes, failsAt) => {
    expect(run(replace(changes as Record<number, string>))).toBe(failsAt);
  });

  it('refuses a secret out of order', () => {
    expect(() => new ShachainStore().insert(h(correct[1]!), 281474976710654n)).toThrow(/expected the secret for index 281474976710655/);
  });
});

describe('BOLT 3 revocation keys (Appendix E)', () => {
  const baseSecret = h('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const pcSecret = h('1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100');
  it('derives the vector points, revocation pubkey and secret', () => {
    expect(bytesToHex(pointOf(baseSecret))).toBe('036d6caac248af96f6afa7f904f550253a0f3ef3f5aa2fe6838a95b216691468e2');
    expect(bytesToHex(pointOf(pcSecret))).toBe('025f7117a78150fe2ef97db7cfc83bd57b2e2c0d0dd25eaf467a4a1c2a45ce1486');
    expect(bytesToHex(revocationPubkey(pointOf(baseSecret), pointOf(pcSecret)))).toBe('02916e326636d19c33f13e8c0c3a03dd157f332f3e99c317c141dd865eb01f8ff0');
    expect(bytesToHex(revocationSecretKey(baseSecret, pcSecret))).toBe('d09ffff62ddb2297ab000cc85bcb4283fdeb6aa052affbc9dddcf33b61078110');
    expect(bytesToHex(pointOf(revocationSecretKey(baseSecret, pcSecret)))).toBe('02916e326636d19c33f13e8c0c3a03dd157f332f3e99c317c141dd865eb01f8ff0');
  });
  it('rejects a basepoint that is not a point', () => {
    expect(() => revocationPubkey(new Uint8Array(33), pointOf(pcSecret))).toThrow(ChannelError);
  });
});
