/**
 * FROST (BIP445) + ROAST + ChillDKG at 3-of-5, 67-of-100 and 667-of-1000: the paths a signer and the
 * coordinator really run per session, beside @noble/curves' schnorr_FROST measured in the same run.
 * Every number is printed with the 1-minute load average at the time it was taken (the box is shared)
 * and says what it includes. Run: pnpm bench frost   (or node --conditions=@tapbridge/source --import tsx
 * packages/frost/bench/frost.bench.ts [sizes, e.g. 67-of-100]). FROST_BENCH_FULL_DKG=1 runs the
 * coordinator's ChillDKG step 1 on all n messages at n = 1000 instead of estimating it from its parts;
 * FROST_BENCH_SECTIONS=signing or =dkg runs only that part.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { FrostSecret, Nonces } from '@noble/curves/abstract/frost.js';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import {
  G,
  GroupKey,
  N,
  RoastCoordinator,
  type RoastEvent,
  type SecNonce,
  VSSCommitment,
  certeqParticipantStep,
  certeqVerify,
  coordinatorFinalize,
  coordinatorStep1,
  decodeCompressedAffine,
  hostpubkeyGen,
  keyPathOnlyCustodyTweak,
  nonceAgg,
  nonceAggReference,
  nonceGen,
  participantFinalize,
  participantStep1,
  participantStep2,
  pointToCompressed,
  scalarFromBytesWrapping,
  scalarToBytes,
  sign,
  sumColumnsAffine,
  pointToAffine,
  pointToXonly,
} from '../src/index.js';
import { popVerify } from '../src/dkg/simplpedpop.js';

const ALL_SIZES = [
  { t: 3, n: 5 },
  { t: 67, n: 100 },
  { t: 667, n: 1000 },
];
const only = process.argv[2];
const SIZES = ALL_SIZES.filter(({ t, n }) => only === undefined || only === `${t}-of-${n}`);

const load = (): string => os.loadavg()[0]?.toFixed(1) ?? '?';

function fmt(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

function row(label: string, value: string, includes?: string): void {
  console.log(`  ${label.padEnd(64)} ${value.padStart(12)}   load ${load()}`);
  if (includes !== undefined) console.log(`      ↳ ${includes}`);
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const out = fn();
  return [out, performance.now() - start];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Bench-only key shares from a local polynomial (the DKG is measured separately below). */
function dealShares(n: number, t: number): { groupKey: GroupKey; secshares: Uint8Array[] } {
  const coeffs = Array.from({ length: t }, () => scalarFromBytesWrapping(randomBytes(32)) || 1n);
  if ((G.multiply(coeffs[0] as bigint).toAffine().y & 1n) === 1n) for (let j = 0; j < t; j++) coeffs[j] = N - (coeffs[j] as bigint);
  const com = new VSSCommitment(coeffs.map((c) => G.multiply(c)));
  const shares = Array.from({ length: n }, (_, i) => coeffs.reduceRight((acc, c) => (acc * BigInt(i + 1) + c) % N, 0n));
  const groupKey = GroupKey.fromShares({ n, t, threshPk: pointToCompressed(com.ges[0] as never), pubshares: com.pubshares(n).map((P) => pointToCompressed(P)) });
  return { groupKey, secshares: shares.map(scalarToBytes) };
}

type Dealt = ReturnType<typeof dealShares>;

function benchSigner(n: number, t: number, key: Dealt): void {
  const { groupKey, secshares } = key;
  const ids = Array.from({ length: t }, (_, i) => i);
  const msg = randomBytes(32);
  const { tweak } = keyPathOnlyCustodyTweak(groupKey.xonly);
  const samples = Math.min(t, 7);
  const taken: number[] = [];
  const recheck: number[] = [];
  const oldRecheck: number[] = [];
  const signOnly: number[] = [];
  for (let k = 0; k < samples; k++) {
    // A session request as the wire carries it: every signer's pubnonce in hex, and the aggregate nonce.
    const nonces = ids.map((id) => nonceGen({ secshare: secshares[id], msg }));
    const wire = nonces.map((x) => bytesToHex(x.pubnonce));
    const aggnonceHex = bytesToHex(nonceAgg(nonces.map((x) => x.pubnonce)));
    const me = ids[(k * 97) % t] as number;
    const secnonce = nonces[me]?.secnonce as SecNonce;
    const run = (mode: 'taken' | 'recheck' | 'old'): number => {
      const [, ms] = time(() => {
        if (mode === 'recheck' && bytesToHex(nonceAgg(wire.map((p) => Uint8Array.from(Buffer.from(p, 'hex'))))) !== aggnonceHex) throw new Error('aggnonce mismatch');
        if (mode === 'old' && bytesToHex(nonceAggReference(wire.map((p) => Uint8Array.from(Buffer.from(p, 'hex'))))) !== aggnonceHex) throw new Error('aggnonce mismatch');
        if (wire[me] !== bytesToHex(nonces[me]?.pubnonce as Uint8Array)) throw new Error('own pubnonce not at its position');
        if (mode !== 'taken') return;
        const session = { aggnonce: Uint8Array.from(Buffer.from(aggnonceHex, 'hex')), signersCtx: groupKey.signersContext(ids), tweaks: [tweak], isXonly: [true], msg };
        const [, signMs] = time(() => sign(secnonce, secshares[me] as Uint8Array, me, session));
        signOnly.push(signMs);
        nonceGen({ secshare: secshares[me], msg });
      });
      return ms;
    };
    oldRecheck.push(run('old'));
    recheck.push(run('recheck'));
    taken.push(run('taken'));
  }
  const tk = median(taken);
  row(
    'SIGNER, one session, taking the coordinator aggnonce (recommended)',
    fmt(tk),
    `median of ${samples} signers: own-pubnonce position check, signersContext, sign() (binding factor, aggnonce decode, R1+b·R2, challenge, λ, pubshare check, self-verification), next nonceGen`,
  );
  row('SIGNER, + re-adding the t pubnonces with the fast nonceAgg', fmt(tk + median(recheck)), `the row above + hex decode of ${t} pubnonces + batched-affine nonceAgg + compare (what signer-protocol.ts does today, with this package's nonceAgg)`);
  row('SIGNER, + re-adding them with the old one-by-one nonceAgg', fmt(tk + median(oldRecheck)), 'the path before this change (projective additions, full noble point decoding)');
  row('  of which sign() alone (the old bench headline)', fmt(median(signOnly)), 'not a session: excludes everything but sign()');
}

function roastRound(key: Dealt, t: number, bad: number | null, readyCount: number): { ready: number; responses: number; blamed: number[]; sessions: number } {
  const { groupKey, secshares } = key;
  const msg = randomBytes(32);
  const { tweak } = keyPathOnlyCustodyTweak(groupKey.xonly);
  const coordinator = new RoastCoordinator({ groupKey, msg, tweaks: [tweak], isXonly: [true] });
  const secnonces = new Map<number, SecNonce>();
  const fresh = (id: number): Uint8Array => {
    const { secnonce, pubnonce } = nonceGen({ secshare: secshares[id] });
    secnonces.set(id, secnonce);
    return pubnonce;
  };
  const readyNonces = Array.from({ length: readyCount }, (_, id) => fresh(id));
  const [events, tReady] = time(() => readyNonces.flatMap((pubnonce, id) => coordinator.onReady(id, pubnonce)));
  const started = events.find((e) => e.type === 'session-started');
  if (started?.type !== 'session-started') throw new Error('no session');
  // Signers compute their answers outside the timed part (they run on their own machines).
  const responses = started.signers.map((id) => {
    const psig = sign(secnonces.get(id) as SecNonce, secshares[id] as Uint8Array, id, started.session);
    if (id === bad) psig[31] = (psig[31] as number) ^ 1;
    return { id, psig, next: fresh(id) };
  });
  const out: RoastEvent[] = [];
  const [, tResp] = time(() => responses.forEach((r) => out.push(...coordinator.onPartialSig(r.id, started.sessionId, r.psig, r.next))));
  void t;
  if (bad === null && coordinator.signature === null) throw new Error('ROAST did not finish');
  const blamed = out.flatMap((e) => (e.type === 'misbehaviour' ? [e.signerId] : []));
  return { ready: tReady, responses: tResp, blamed, sessions: coordinator.sessionsStarted };
}

function benchCoordinator(n: number, t: number, key: Dealt): void {
  const ok = roastRound(key, t, null, t);
  row(
    'COORDINATOR, whole ROAST round (t signers ready)',
    fmt(ok.ready + ok.responses),
    `${t} onReady (decode 2 points each) + session start (batched sums of ${t} R1 and R2, session values) + ${t} onPartialSig + aggregate + one BIP340 verification; signers' own work excluded`,
  );
  row('  of which the t responses + aggregate + final BIP340 check', fmt(ok.responses));
  const bad = Math.floor(t / 3);
  const blame = roastRound(key, t, bad, t);
  if (blame.blamed.length !== 1 || blame.blamed[0] !== bad) throw new Error(`blame path named ${blame.blamed.join(',')}, expected ${bad}`);
  row(
    `BLAME PATH, one bad partial signature among ${t}`,
    fmt(blame.responses),
    `${t} onPartialSig + failed aggregate check + Lagrange coefficients + batch verification with bisection naming signer ${bad} (correctly)`,
  );
  if (n > t) {
    const all = roastRound(key, t, null, n);
    row(
      `COORDINATOR, ROAST round with all ${n} signers ready`,
      fmt(all.ready + all.responses),
      `as the first row, but ${n} nonces decoded and, once ${n - t} + … answers make t signers ready again, a second session started after batch-verifying its members' earlier answers (${all.sessions} sessions)`,
    );
  }
}

function benchNobleFrost(n: number, t: number): void {
  const F = schnorr_FROST;
  const idents = Array.from({ length: n }, (_, i) => F.Identifier.fromNumber(i + 1));
  const [deal, tDeal] = time(() => F.trustedDealer({ min: t, max: n }, idents));
  row('noble schnorr_FROST: trusted dealer keygen (not a DKG)', fmt(tDeal));
  const signers = idents.slice(0, t);
  const [commits, tCommit] = time(() => signers.map((id) => F.commit(deal.secretShares[id] as FrostSecret)));
  row('noble: nonce commitment, per signer', fmt(tCommit / t));
  const msg = randomBytes(32);
  const list = commits.map((c) => c.commitments);
  const budget = t > 100 ? 1 : Math.min(t, 10);
  const shares: Record<string, Uint8Array> = {};
  const [, tSign] = time(() => {
    for (let k = 0; k < budget; k++) {
      const id = signers[k] as string;
      shares[id] = F.signShare(deal.secretShares[id] as FrostSecret, deal.public, commits[k]?.nonces as Nonces, list, msg);
    }
  });
  row(`noble: signShare, per signer (measured on ${budget})`, fmt(tSign / budget), 'every signer recomputes all t binding factors and the group commitment (RFC 9591)');
  if (t > 100) {
    row('noble: aggregate', 'skipped', 'needs every signShare (t × the row above)');
    return;
  }
  for (let k = budget; k < t; k++) {
    const id = signers[k] as string;
    shares[id] = F.signShare(deal.secretShares[id] as FrostSecret, deal.public, commits[k]?.nonces as Nonces, list, msg);
  }
  const [, tAgg] = time(() => F.aggregate(deal.public, list, msg, shares));
  row('noble: aggregate (verifies every share)', fmt(tAgg));
}

/** A real in-process ChillDKG (all n participants and the coordinator), with each role's time. */
function benchDkgFull(n: number, t: number): void {
  const hostseckeys = Array.from({ length: n }, () => randomBytes(32));
  const params = { hostpubkeys: hostseckeys.map(hostpubkeyGen), t };
  const step1Ms: number[] = [];
  const step1 = hostseckeys.map((sk) => {
    const [r, ms] = time(() => participantStep1(sk, params, randomBytes(32)));
    step1Ms.push(ms);
    return r;
  });
  const [c1, tC1] = time(() => coordinatorStep1(step1.map((s) => s.pmsg1), params));
  const step2Ms: number[] = [];
  const step2 = hostseckeys.map((sk, i) => {
    const [r, ms] = time(() => participantStep2(sk, (step1[i] as (typeof step1)[number]).state1, c1.cmsg1, randomBytes(32)));
    step2Ms.push(ms);
    return r;
  });
  const [c2, tC2] = time(() => coordinatorFinalize(c1.state, step2.map((s) => s.pmsg2)));
  const finMs: number[] = [];
  step2.forEach((s) => {
    const [, ms] = time(() => participantFinalize(s.state2, c2.cmsg2));
    finMs.push(ms);
  });
  const max = (xs: number[]): number => Math.max(...xs);
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const critical = max(step1Ms) + tC1 + max(step2Ms) + tC2 + max(finMs);
  row(
    `DKG ${t}-of-${n}: real ChillDKG, critical path (wall time, one machine per participant)`,
    fmt(critical),
    `slowest step1 ${fmt(max(step1Ms))} + coordinator step1 ${fmt(tC1)} + slowest step2 ${fmt(max(step2Ms))} + coordinator finalize ${fmt(tC2)} + slowest finalize ${fmt(max(finMs))}`,
  );
  row(`DKG ${t}-of-${n}: same run, all ${n} participants in this one process`, fmt(sum(step1Ms) + tC1 + sum(step2Ms) + tC2 + sum(finMs)));
}

/**
 * ChillDKG at n = 1000: every role's work measured on real data; the n − 1 other participants'
 * messages are copies (an all-in-one-process run needs n² = 10⁶ constant-time ECDHs).
 */
function benchDkgLarge(n: number, t: number): void {
  const hostseckeys = Array.from({ length: n }, () => randomBytes(32));
  const [hostpubkeys, tHost] = time(() => hostseckeys.map(hostpubkeyGen));
  void tHost;
  const params = { hostpubkeys, t };
  const [p1, t1] = time(() => participantStep1(hostseckeys[0] as Uint8Array, params, randomBytes(32)));
  row('DKG participant step1 (VSS deal, t commitments, n ECDH pads, PoP)', fmt(t1), 'measured, one participant');
  const com = VSSCommitment.fromBytes(p1.pmsg1.subarray(0, 33 * t), t);
  // Coordinator step 1 = parse n messages (n·t points) + column sums + n pubshares + ciphertext sums.
  const sample = Array.from({ length: 20 }, () => p1.pmsg1.subarray(0, 33 * t)).flatMap((b) => Array.from({ length: t }, (_, j) => b.subarray(33 * j, 33 * j + 33)));
  const [, tDec] = time(() => sample.forEach((b) => decodeCompressedAffine(b)));
  const perPoint = tDec / sample.length;
  row('DKG coordinator: decode one commitment point (sqrt)', `${(perPoint * 1000).toFixed(1)} µs`, `measured on ${sample.length} points; the coordinator decodes n·t = ${n * t}`);
  const copies = 100;
  const rows = Array.from({ length: copies }, () => com.ges.map(pointToAffine));
  const [, tSum] = time(() => sumColumnsAffine(rows, t));
  row(`DKG coordinator: column sums of ${copies} commitments (batched affine)`, fmt(tSum), `measured; n = ${n} costs about ${fmt((tSum * (n - 1)) / (copies - 1))}`);
  const [pubshares, tPub] = time(() => com.pubshares(n));
  row(`DKG: all ${n} pubshares (lockstep Horner, batched affine)`, fmt(tPub), 'measured; the coordinator and every participant each compute them once');
  const [, tOne] = time(() => com.pubshare(n - 1));
  row('DKG: one pubshare by the reference Horner (old path, for n of them × n)', fmt(tOne), `the old path for all n: ≈ ${fmt(tOne * n)}`);
  void pubshares;
  let tC1: number;
  if (process.env.FROST_BENCH_FULL_DKG === '1') {
    [, tC1] = time(() => coordinatorStep1(Array.from({ length: n }, () => p1.pmsg1), params));
    row('DKG coordinator step1, all n messages', fmt(tC1), 'measured');
  } else {
    tC1 = perPoint * n * t + (tSum * (n - 1)) / (copies - 1) + tPub;
    row('DKG coordinator step1 (estimate from the measured parts)', fmt(tC1), 'n·t decodes + column sums + n pubshares; FROST_BENCH_FULL_DKG=1 measures it whole');
  }
  // Participant step 2: n ECDH pads (≈ step1's), n − 1 PoP checks, own share check, n pubshares, CertEq signature.
  const pops = Array.from({ length: 50 }, () => p1.pmsg1.subarray(33 * t, 33 * t + 64));
  const C0 = pointToXonly(com.ges[0] as never);
  const [, tPop] = time(() => pops.forEach((pop) => popVerify(pop, C0, 0)));
  const popEach = tPop / pops.length;
  // A transcript of the real size (its contents do not change the cost).
  const eq = Uint8Array.from({ length: 4 + 33 * t + 162 * n }, (_, i) => (i * 131) & 0xff);
  const [cert, tCertSign] = time(() => hostseckeys.map((sk, i) => certeqParticipantStep(sk, i, eq, randomBytes(32))));
  const certBytes = new Uint8Array(64 * n);
  cert.forEach((s, i) => certBytes.set(s, 64 * i));
  const [, tCertVerify] = time(() => certeqVerify(hostpubkeys, eq, certBytes));
  const step2 = t1 + popEach * (n - 1) + tPub + tCertSign / n;
  row('DKG participant step2 (estimate from measured parts)', fmt(step2), `n ECDH pads (≈ step1) + ${n - 1} PoP checks at ${fmt(popEach)} + n pubshares + one CertEq signature`);
  row('DKG certificate check (coordinator finalize, participant finalize)', fmt(tCertVerify), `measured: ${n} BIP340 verifications`);
  const critical = t1 + tC1 + step2 + 2 * tCertVerify;
  row(
    `DKG ${t}-of-${n}: critical path (wall time, one machine per participant)`,
    fmt(critical),
    'step1 + coordinator step1 + step2 + coordinator finalize + participant finalize; network time excluded',
  );
}

function benchSignerRss(n: number, t: number, key: Dealt): void {
  const { groupKey, secshares } = key;
  const msg = randomBytes(32);
  const { tweak } = keyPathOnlyCustodyTweak(groupKey.xonly);
  const me = 0;
  const others = Array.from({ length: t - 1 }, (_, k) => bytesToHex(nonceGen({ secshare: secshares[k + 1] }).pubnonce));
  for (const recheckAggnonce of [false, true]) {
    const job = {
      n,
      t,
      threshPk: bytesToHex(groupKey.threshPk),
      pubshares: groupKey.pubshares.map(bytesToHex),
      secshare: bytesToHex(secshares[me] as Uint8Array),
      me,
      otherPubnonces: others,
      msg: bytesToHex(msg),
      tweak: bytesToHex(tweak),
      recheckAggnonce,
    };
    const child = spawnSync(process.execPath, ['--conditions=@tapbridge/source', '--import', 'tsx', path.join(import.meta.dirname, 'signer-rss.ts')], {
      input: JSON.stringify(job),
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (child.status !== 0) throw new Error(`signer-rss child failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { baselineRss: number; peakRss: number; endRss: number; heapUsed: number };
    const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
    row(
      `SIGNER RSS, one ${n}-signer session${recheckAggnonce ? ' (with aggnonce re-check)' : ''}`,
      mb(r.peakRss),
      `peak RSS of a fresh node+tsx process (start ${mb(r.baselineRss)}): group key of ${n} pubshares, request with ${t} hex pubnonces, sign, next nonce; heap used at the end ${mb(r.heapUsed)}`,
    );
  }
}

const started = performance.now();
const cpus = os.cpus();
console.log(`frost bench — ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; load average now ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}`);
console.log('Times are wall-clock on a shared machine: compare rows of one run, and read each next to its load.');
for (const { n, t } of SIZES) {
  console.log(`\n${t}-of-${n}`);
  const sections = process.env.FROST_BENCH_SECTIONS;
  if (sections === undefined || sections === 'signing') {
    const key = dealShares(n, t);
    benchSigner(n, t, key);
    benchCoordinator(n, t, key);
    if (n >= 1000) benchSignerRss(n, t, key);
    benchNobleFrost(n, t);
  }
  if (sections === undefined || sections === 'dkg') {
    if (n <= 5) benchDkgFull(n, t);
    else benchDkgLarge(n, t);
  }
}
console.log(`\ntotal ${fmt(performance.now() - started)}, load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}`);
