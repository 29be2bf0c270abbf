/**
 * FROST (BIP445) + ChillDKG + ROAST benchmarks at 3-of-5, 67-of-100 and 667-of-1000, beside
 * @noble/curves' schnorr_FROST (RFC 9591 structure, one binding factor per signer) and
 * @scure/btc-signer's MuSig2 (t-of-t). Run: node --conditions=@tapbridge/source --import tsx packages/frost/bench/frost.bench.ts
 */
import os from 'node:os';
import type { FrostSecret, Nonces } from '@noble/curves/abstract/frost.js';
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import * as musig2 from '@scure/btc-signer/musig2.js';
import {
  G,
  GroupKey,
  N,
  RoastCoordinator,
  type SecNonce,
  VSSCommitment,
  coordinatorStep1,
  hostpubkeyGen,
  keyPathOnlyCustodyTweak,
  nonceAgg,
  nonceGen,
  partialSigAgg,
  getSessionValues,
  partialSigVerifyInternal,
  participantStep1,
  pointToCompressed,
  runChillDkg,
  scalarFromBytesWrapping,
  scalarToBytes,
  sign,
} from '../src/index.js';

const SIZES = [
  { t: 3, n: 5 },
  { t: 67, n: 100 },
  { t: 667, n: 1000 },
];

function ms(start: number): string {
  return `${(performance.now() - start).toFixed(1)} ms`;
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const out = fn();
  return [out, performance.now() - start];
}

function line(label: string, value: string): void {
  console.log(`  ${label.padEnd(58)} ${value}`);
}

/** Bench-only shares from a local polynomial: a DKG at n = 1000 in one process takes minutes (see README). */
function dealShares(n: number, t: number): { groupKey: GroupKey; secshares: Uint8Array[] } {
  const coeffs = Array.from({ length: t }, () => scalarFromBytesWrapping(randomBytes(32)) || 1n);
  if ((G.multiply(coeffs[0] as bigint).toAffine().y & 1n) === 1n) for (let j = 0; j < t; j++) coeffs[j] = N - (coeffs[j] as bigint);
  const shares = Array.from({ length: n }, (_, i) => coeffs.reduceRight((acc, c) => (acc * BigInt(i + 1) + c) % N, 0n));
  const groupKey = GroupKey.fromShares({ n, t, threshPk: pointToCompressed(G.multiply(coeffs[0] as bigint)), pubshares: shares.map((s) => pointToCompressed(G.multiply(s))) });
  return { groupKey, secshares: shares.map(scalarToBytes) };
}

function benchDkg(n: number, t: number): void {
  if (n <= 5) {
    const [, total] = time(() => runChillDkg(n, t));
    line('DKG: full ChillDKG, all participants + coordinator', `${total.toFixed(1)} ms`);
    return;
  }
  const hostseckeys = Array.from({ length: n }, () => randomBytes(32));
  const [hostpubkeys, tKeys] = time(() => hostseckeys.map(hostpubkeyGen));
  void tKeys;
  const params = { hostpubkeys, t };
  const [p1, t1] = time(() => participantStep1(hostseckeys[0] as Uint8Array, params, randomBytes(32)));
  line('DKG: one participant step1 (VSS deal + n encrypted shares)', `${t1.toFixed(1)} ms`);
  const com = VSSCommitment.fromBytes(p1.pmsg1.subarray(0, 33 * t), t);
  const [, tShare] = time(() => com.pubshare(n - 1));
  line('DKG: one pubshare from a commitment (own share check)', `${tShare.toFixed(1)} ms`);
  if (n <= 100) {
    // Aggregation cost does not depend on message contents; n copies of one valid message suffice.
    const [, tc] = time(() => coordinatorStep1(Array.from({ length: n }, () => p1.pmsg1), params));
    line('DKG: coordinator step1 (sum n commitments, n pubshares)', `${tc.toFixed(1)} ms`);
  } else {
    const [, tc] = time(() => {
      let acc = com;
      for (let i = 1; i < n; i++) acc = acc.add(com);
      return acc;
    });
    line('DKG: coordinator sum of n commitments (t points each)', `${tc.toFixed(1)} ms`);
    line('DKG: all n pubshares (n × t-term evaluation), estimated', `${((tShare * n) / 1000).toFixed(1)} s`);
  }
}

function benchOurs(n: number, t: number): void {
  const { groupKey, secshares } = dealShares(n, t);
  const ids = Array.from({ length: t }, (_, i) => i);
  const { tweak, outputKey } = keyPathOnlyCustodyTweak(groupKey.xonly);
  const msg = randomBytes(32);
  const signersCtx = groupKey.signersContext(ids);
  const [nonces, tNonce] = time(() => ids.map((id) => nonceGen({ secshare: secshares[id], msg })));
  line('nonce generation, per signer', `${(tNonce / t).toFixed(2)} ms`);
  const [aggnonce, tAggN] = time(() => nonceAgg(nonces.map((x) => x.pubnonce)));
  line('nonce aggregation (coordinator, t pubnonces)', `${tAggN.toFixed(1)} ms`);
  const session = { aggnonce, signersCtx, tweaks: [tweak], isXonly: [true], msg };
  const psigs: Uint8Array[] = [];
  const perSigner: number[] = [];
  ids.forEach((id, k) => {
    const [psig, dt] = time(() => sign(nonces[k]?.secnonce as SecNonce, secshares[id] as Uint8Array, id, session));
    psigs.push(psig);
    perSigner.push(dt);
  });
  const sorted = [...perSigner].sort((a, b) => a - b);
  line('partial signing, per signer (median / max)', `${(sorted[Math.floor(t / 2)] as number).toFixed(2)} / ${(sorted[t - 1] as number).toFixed(2)} ms`);
  const [sig, tAgg] = time(() => {
    const s = partialSigAgg(psigs, session);
    if (!schnorr.verify(s, msg, outputKey)) throw new Error('final signature invalid');
    return s;
  });
  void sig;
  line('aggregation + final BIP340 verification', `${tAgg.toFixed(1)} ms`);
  // A coordinator derives the session values once and checks each response against them.
  const [, tVer] = time(() => {
    const values = getSessionValues(session);
    psigs.forEach((p, k) => {
      const id = ids[k] as number;
      if (!partialSigVerifyInternal(p, id, nonces[k]?.pubnonce as Uint8Array, groupKey.pubshares[id] as Uint8Array, session, values)) throw new Error('psig invalid');
    });
  });
  line(`verification of all ${t} partial signatures`, `${tVer.toFixed(1)} ms (${(tVer / t).toFixed(2)} ms each)`);
}

function benchRoast(n: number, t: number): void {
  const { groupKey, secshares } = dealShares(n, t);
  const msg = randomBytes(32);
  const { tweak } = keyPathOnlyCustodyTweak(groupKey.xonly);
  const coordinator = new RoastCoordinator({ groupKey, msg, tweaks: [tweak], isXonly: [true] });
  const secnonces = new Map<number, SecNonce>();
  const fresh = (id: number): Uint8Array => {
    const { secnonce, pubnonce } = nonceGen({ secshare: secshares[id] });
    secnonces.set(id, secnonce);
    return pubnonce;
  };
  const ready = Array.from({ length: t }, (_, id) => fresh(id));
  const [events, tReady] = time(() => ready.flatMap((pubnonce, id) => coordinator.onReady(id, pubnonce)));
  line('ROAST: t onReady (decode nonces) + session start', `${tReady.toFixed(1)} ms`);
  const started = events.find((e) => e.type === 'session-started');
  if (started?.type !== 'session-started') throw new Error('no session');
  const responses = started.signers.map((id) => ({ id, psig: sign(secnonces.get(id) as SecNonce, secshares[id] as Uint8Array, id, started.session), next: fresh(id) }));
  const [, tResp] = time(() => responses.forEach((r) => coordinator.onPartialSig(r.id, started.sessionId, r.psig, r.next)));
  if (coordinator.signature === null) throw new Error('ROAST did not finish');
  line('ROAST: t responses (verify each psig) + aggregate + verify', `${tResp.toFixed(1)} ms (${(tResp / t).toFixed(2)} ms each)`);
}

function benchNobleFrost(n: number, t: number): void {
  const F = schnorr_FROST;
  const idents = Array.from({ length: n }, (_, i) => F.Identifier.fromNumber(i + 1));
  const [deal, tDeal] = time(() => F.trustedDealer({ min: t, max: n }, idents));
  line('noble schnorr_FROST: trusted dealer keygen', `${tDeal.toFixed(1)} ms`);
  const signers = idents.slice(0, t);
  const [commits, tCommit] = time(() => signers.map((id) => F.commit(deal.secretShares[id] as FrostSecret)));
  line('noble: nonce commitment, per signer', `${(tCommit / t).toFixed(2)} ms`);
  const msg = randomBytes(32);
  const list = commits.map((c) => c.commitments);
  // Each signer recomputes every binding factor and the group commitment: O(t) multiplications.
  const budget = t > 100 ? 1 : t;
  const shares: Record<string, Uint8Array> = {};
  const [, tSign] = time(() => {
    for (let k = 0; k < budget; k++) {
      const id = signers[k] as string;
      shares[id] = F.signShare(deal.secretShares[id] as FrostSecret, deal.public, commits[k]?.nonces as Nonces, list, msg);
    }
  });
  line(`noble: signShare, per signer${budget < t ? ` (measured on ${budget})` : ''}`, `${(tSign / budget).toFixed(2)} ms`);
  if (budget < t) {
    line('noble: aggregate / verifyShare', 'skipped at this size (would take minutes)');
    return;
  }
  const [sig, tAgg] = time(() => F.aggregate(deal.public, list, msg, shares));
  line('noble: aggregate (includes share checks)', `${tAgg.toFixed(1)} ms`);
  void sig;
}

function benchMusig2(t: number): void {
  const sks = Array.from({ length: t }, () => randomBytes(32));
  const pks = sks.map((sk) => musig2.IndividualPubkey(sk));
  const msg = randomBytes(32);
  const [nonces, tNonce] = time(() => pks.map((pk, i) => musig2.nonceGen(pk, sks[i])));
  line(`scure MuSig2 (${t}-of-${t}): nonce generation, per signer`, `${(tNonce / t).toFixed(2)} ms`);
  const aggNonce = musig2.nonceAggregate(nonces.map((x) => x.public));
  const [session, tSess] = time(() => new musig2.Session(aggNonce, pks, msg));
  line('scure MuSig2: session setup (key aggregation of t keys)', `${tSess.toFixed(1)} ms`);
  const budget = Math.min(t, 20);
  const psigs: Uint8Array[] = [];
  const [, tSign] = time(() => {
    for (let i = 0; i < budget; i++) psigs.push(session.sign(nonces[i]?.secret as Uint8Array, sks[i] as Uint8Array));
  });
  line(`scure MuSig2: partial signing, per signer (measured on ${budget})`, `${(tSign / budget).toFixed(2)} ms`);
  for (let i = budget; i < t; i++) psigs.push(session.sign(nonces[i]?.secret as Uint8Array, sks[i] as Uint8Array));
  const [, tAgg] = time(() => session.partialSigAgg(psigs));
  line('scure MuSig2: aggregation', `${tAgg.toFixed(1)} ms`);
}

const started = performance.now();
const cpus = os.cpus();
console.log(`frost bench — ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}`);
for (const { n, t } of SIZES) {
  console.log(`\n${t}-of-${n}`);
  benchDkg(n, t);
  benchOurs(n, t);
  benchRoast(n, t);
  benchNobleFrost(n, t);
  if (t <= 100) benchMusig2(t);
  else line('scure MuSig2', `skipped at ${t} signers (t-of-t session setup alone multiplies t keys)`);
}
console.log(`\ntotal ${ms(started)}`);
