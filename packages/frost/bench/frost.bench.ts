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
  console.log(`  ${label.padEnd(64)} ${value.padStart(28)}   load ${load()}`);
  if (includes !== undefined) console.log(`      ↳ ${includes}`);
}

/** [result, wall ms, CPU ms of this process (user + system)]: the CPU figure is what the load does not inflate. */
function time<T>(fn: () => T): [T, number, number] {
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const out = fn();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  return [out, wall, (cpu.user + cpu.system) / 1000];
}

/** "wall (cpu …)" */
function wc(wall: number, cpu: number): string {
  return `${fmt(wall)} (cpu ${fmt(cpu)})`;
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
  const taken: [number, number][] = [];
  const recheck: [number, number][] = [];
  const oldRecheck: [number, number][] = [];
  const signOnly: [number, number][] = [];
  for (let k = 0; k < samples; k++) {
    // A session request as the wire carries it: every signer's pubnonce in hex, and the aggregate nonce.
    const nonces = ids.map((id) => nonceGen({ secshare: secshares[id], msg }));
    const wire = nonces.map((x) => bytesToHex(x.pubnonce));
    const aggnonceHex = bytesToHex(nonceAgg(nonces.map((x) => x.pubnonce)));
    const me = ids[(k * 97) % t] as number;
    const secnonce = nonces[me]?.secnonce as SecNonce;
    const run = (mode: 'taken' | 'recheck' | 'old'): [number, number] => {
      const [, ms, cpu] = time(() => {
        if (mode === 'recheck' && bytesToHex(nonceAgg(wire.map((p) => Uint8Array.from(Buffer.from(p, 'hex'))))) !== aggnonceHex) throw new Error('aggnonce mismatch');
        if (mode === 'old' && bytesToHex(nonceAggReference(wire.map((p) => Uint8Array.from(Buffer.from(p, 'hex'))))) !== aggnonceHex) throw new Error('aggnonce mismatch');
        if (wire[me] !== bytesToHex(nonces[me]?.pubnonce as Uint8Array)) throw new Error('own pubnonce not at its position');
        if (mode !== 'taken') return;
        const session = { aggnonce: Uint8Array.from(Buffer.from(aggnonceHex, 'hex')), signersCtx: groupKey.signersContext(ids), tweaks: [tweak], isXonly: [true], msg };
        const [, signMs, signCpu] = time(() => sign(secnonce, secshares[me] as Uint8Array, me, session));
        signOnly.push([signMs, signCpu]);
        nonceGen({ secshare: secshares[me], msg });
      });
      return [ms, cpu];
    };
    oldRecheck.push(run('old'));
    recheck.push(run('recheck'));
    taken.push(run('taken'));
  }
  const med = (xs: [number, number][]): [number, number] => [median(xs.map((x) => x[0])), median(xs.map((x) => x[1]))];
  const [tk, tkCpu] = med(taken);
  const [re, reCpu] = med(recheck);
  const [old, oldCpu] = med(oldRecheck);
  row(
    'SIGNER, one session, taking the coordinator aggnonce (recommended)',
    wc(tk, tkCpu),
    `median of ${samples} signers: own-pubnonce position check, signersContext, sign() (binding factor, aggnonce decode, R1+b·R2, challenge, λ, pubshare check, self-verification), next nonceGen`,
  );
  row('SIGNER, + re-adding the t pubnonces with the fast nonceAgg', wc(tk + re, tkCpu + reCpu), `the row above + hex decode of ${t} pubnonces + nonceAgg (libsecp256k1 decoding, batched affine sums) + compare`);
  row('SIGNER, + re-adding them with the old one-by-one nonceAgg', wc(tk + old, tkCpu + oldCpu), 'the reference path (projective additions, noble decoding)');
  const [so, soCpu] = med(signOnly);
  row('  of which sign() alone (the old bench headline)', wc(so, soCpu), 'not a session: excludes everything but sign()');
}

type Timing = { wall: number; cpu: number };

function roastRound(key: Dealt, bad: number | null, readyCount: number): { ready: Timing; responses: Timing; blamed: number[]; sessions: number } {
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
  const [events, tReady, cReady] = time(() => readyNonces.flatMap((pubnonce, id) => coordinator.onReady(id, pubnonce)));
  const started = events.find((e) => e.type === 'session-started');
  if (started?.type !== 'session-started') throw new Error('no session');
  // Signers compute their answers outside the timed part (they run on their own machines).
  const responses = started.signers.map((id) => {
    const psig = sign(secnonces.get(id) as SecNonce, secshares[id] as Uint8Array, id, started.session);
    if (id === bad) psig[31] = (psig[31] as number) ^ 1;
    return { id, psig, next: fresh(id) };
  });
  const out: RoastEvent[] = [];
  const [, tResp, cResp] = time(() => responses.forEach((r) => out.push(...coordinator.onPartialSig(r.id, started.sessionId, r.psig, r.next))));
  if (bad === null && coordinator.signature === null) throw new Error('ROAST did not finish');
  const blamed = out.flatMap((e) => (e.type === 'misbehaviour' ? [e.signerId] : []));
  return { ready: { wall: tReady, cpu: cReady }, responses: { wall: tResp, cpu: cResp }, blamed, sessions: coordinator.sessionsStarted };
}

function benchCoordinator(n: number, t: number, key: Dealt): void {
  const ok = roastRound(key, null, t);
  row(
    'COORDINATOR, whole ROAST round (t signers ready)',
    wc(ok.ready.wall + ok.responses.wall, ok.ready.cpu + ok.responses.cpu),
    `${t} onReady + session start (decode 2 points each with libsecp256k1, batched sums of ${t} R1 and R2, session values) + ${t} onPartialSig + aggregate + one BIP340 verification; signers' own work excluded`,
  );
  row('  of which the t responses + aggregate + final BIP340 check', wc(ok.responses.wall, ok.responses.cpu));
  const bad = Math.floor(t / 3);
  const blame = roastRound(key, bad, t);
  if (blame.blamed.length !== 1 || blame.blamed[0] !== bad) throw new Error(`blame path named ${blame.blamed.join(',')}, expected ${bad}`);
  row(
    `BLAME PATH, one bad partial signature among ${t}`,
    wc(blame.responses.wall, blame.responses.cpu),
    `${t} onPartialSig + failed aggregate check + Lagrange coefficients + each of the ${t} partial signatures checked by itself, naming signer ${bad} (correctly)`,
  );
  if (n > t) {
    const all = roastRound(key, null, n);
    row(
      `COORDINATOR, ROAST round with all ${n} signers ready`,
      wc(all.ready.wall + all.responses.wall, all.ready.cpu + all.responses.cpu),
      `as the first row, but ${n} nonces decoded and, once ${n - t} + … answers make t signers ready again, a second session started after batch-verifying its members' earlier answers (${all.sessions} sessions)`,
    );
  }
}

function benchNobleFrost(n: number, t: number): void {
  const F = schnorr_FROST;
  const idents = Array.from({ length: n }, (_, i) => F.Identifier.fromNumber(i + 1));
  const [deal, tDeal, cDeal] = time(() => F.trustedDealer({ min: t, max: n }, idents));
  row('noble schnorr_FROST: trusted dealer keygen (not a DKG)', wc(tDeal, cDeal));
  const signers = idents.slice(0, t);
  const [commits, tCommit, cCommit] = time(() => signers.map((id) => F.commit(deal.secretShares[id] as FrostSecret)));
  const msg = randomBytes(32);
  const list = commits.map((c) => c.commitments);
  const budget = t > 100 ? 1 : Math.min(t, 10);
  const shares: Record<string, Uint8Array> = {};
  const [, tSign, cSign] = time(() => {
    for (let k = 0; k < budget; k++) {
      const id = signers[k] as string;
      shares[id] = F.signShare(deal.secretShares[id] as FrostSecret, deal.public, commits[k]?.nonces as Nonces, list, msg);
    }
  });
  row(
    'noble SIGNER, one session: commit + signShare',
    wc(tCommit / t + tSign / budget, cCommit / t + cSign / budget),
    `signShare measured on ${budget} signer(s); RFC 9591: every signer derives all t binding factors and the group commitment (t multiplications)`,
  );
  if (t > 100) {
    row('noble COORDINATOR: aggregate', 'skipped', 'needs every signShare (t × the row above)');
    return;
  }
  for (let k = budget; k < t; k++) {
    const id = signers[k] as string;
    shares[id] = F.signShare(deal.secretShares[id] as FrostSecret, deal.public, commits[k]?.nonces as Nonces, list, msg);
  }
  const [, tAgg, cAgg] = time(() => F.aggregate(deal.public, list, msg, shares));
  row('noble COORDINATOR: aggregate (verifies every share)', wc(tAgg, cAgg));
}

/** A real in-process ChillDKG (all n participants and the coordinator), with each role's time. */
function benchDkgFull(n: number, t: number): void {
  const hostseckeys = Array.from({ length: n }, () => randomBytes(32));
  const params = { hostpubkeys: hostseckeys.map(hostpubkeyGen), t };
  const step1T: Timing[] = [];
  const step1 = hostseckeys.map((sk) => {
    const [r, wall, cpu] = time(() => participantStep1(sk, params, randomBytes(32)));
    step1T.push({ wall, cpu });
    return r;
  });
  const [c1, tC1, cC1] = time(() => coordinatorStep1(step1.map((s) => s.pmsg1), params));
  const step2T: Timing[] = [];
  const step2 = hostseckeys.map((sk, i) => {
    const [r, wall, cpu] = time(() => participantStep2(sk, (step1[i] as (typeof step1)[number]).state1, c1.cmsg1, randomBytes(32)));
    step2T.push({ wall, cpu });
    return r;
  });
  const [c2, tC2, cC2] = time(() => coordinatorFinalize(c1.state, step2.map((s) => s.pmsg2)));
  const finT: Timing[] = [];
  step2.forEach((s) => {
    const [, wall, cpu] = time(() => participantFinalize(s.state2, c2.cmsg2));
    finT.push({ wall, cpu });
  });
  const max = (xs: Timing[], k: keyof Timing): number => Math.max(...xs.map((x) => x[k]));
  const sum = (xs: Timing[], k: keyof Timing): number => xs.reduce((a, x) => a + x[k], 0);
  const critical = (k: keyof Timing): number => max(step1T, k) + (k === 'wall' ? tC1 : cC1) + max(step2T, k) + (k === 'wall' ? tC2 : cC2) + max(finT, k);
  row(
    `DKG ${t}-of-${n}: real ChillDKG, critical path (one machine per participant)`,
    wc(critical('wall'), critical('cpu')),
    `slowest step1 ${fmt(max(step1T, 'cpu'))} + coordinator step1 ${fmt(cC1)} + slowest step2 ${fmt(max(step2T, 'cpu'))} + coordinator finalize ${fmt(cC2)} + slowest finalize ${fmt(max(finT, 'cpu'))} (CPU)`,
  );
  row(`DKG ${t}-of-${n}: same run, all ${n} participants in this one process`, wc(sum(step1T, 'wall') + tC1 + sum(step2T, 'wall') + tC2 + sum(finT, 'wall'), sum(step1T, 'cpu') + cC1 + sum(step2T, 'cpu') + cC2 + sum(finT, 'cpu')));
}

/**
 * ChillDKG at n = 1000: every role's work measured on real data; the n − 1 other participants'
 * messages are copies (an all-in-one-process run needs n² = 10⁶ ECDHs). The critical path is
 * summed from the measured parts (one machine per participant; network time excluded).
 */
function benchDkgLarge(n: number, t: number): void {
  const hostseckeys = Array.from({ length: n }, () => randomBytes(32));
  const hostpubkeys = hostseckeys.map(hostpubkeyGen);
  const params = { hostpubkeys, t };
  const [p1, t1, c1] = time(() => participantStep1(hostseckeys[0] as Uint8Array, params, randomBytes(32)));
  row('DKG participant step1', wc(t1, c1), `measured, one participant: VSS deal, ${t} commitments, ${n} ECDH pads, PoP`);
  const com = VSSCommitment.fromBytes(p1.pmsg1.subarray(0, 33 * t), t);
  // Coordinator step 1 = parse n messages (n·t points) + column sums + n pubshares + ciphertext sums.
  const sample = Array.from({ length: 10 }, () => p1.pmsg1.subarray(0, 33 * t)).flatMap((b) => Array.from({ length: t }, (_, j) => b.subarray(33 * j, 33 * j + 33)));
  const [, tDec, cDec] = time(() => sample.forEach((b) => decodeCompressedAffine(b)));
  const perPoint: Timing = { wall: tDec / sample.length, cpu: cDec / sample.length };
  row(
    'DKG coordinator: decode one commitment point (libsecp256k1 sqrt)',
    `${(perPoint.wall * 1000).toFixed(1)} µs (cpu ${(perPoint.cpu * 1000).toFixed(1)} µs)`,
    `measured on ${sample.length} points; the coordinator decodes n·t = ${n * t}: ≈ ${fmt(perPoint.cpu * n * t)} of CPU`,
  );
  const copies = 100;
  const rows = Array.from({ length: copies }, () => com.ges.map(pointToAffine));
  const [, tSum, cSum] = time(() => sumColumnsAffine(rows, t));
  const scale = (n - 1) / (copies - 1);
  row(`DKG coordinator: column sums of ${copies} commitments (batched affine)`, wc(tSum, cSum), `measured; n = ${n} costs about ${wc(tSum * scale, cSum * scale)}`);
  const [, tPub, cPub] = time(() => com.pubshares(n));
  row(`DKG: all ${n} pubshares (binomial basis + forward differences)`, wc(tPub, cPub), 'measured; the coordinator and every participant each compute them once');
  if (process.env.FROST_BENCH_HORNER === '1') {
    const [, tH, cH] = time(() => com.pubsharesHorner(n));
    row(`DKG: all ${n} pubshares by lockstep Horner (previous path)`, wc(tH, cH));
  }
  let coord: Timing;
  if (process.env.FROST_BENCH_FULL_DKG === '1') {
    const [, w, c] = time(() => coordinatorStep1(Array.from({ length: n }, () => p1.pmsg1), params));
    coord = { wall: w, cpu: c };
    row('DKG coordinator step1, all n messages', wc(w, c), 'measured');
  } else {
    coord = { wall: perPoint.wall * n * t + tSum * scale + tPub, cpu: perPoint.cpu * n * t + cSum * scale + cPub };
    row('DKG coordinator step1 (estimate from the measured parts)', wc(coord.wall, coord.cpu), 'n·t decodes + column sums + n pubshares; FROST_BENCH_FULL_DKG=1 measures it whole');
  }
  // Participant step 2: n ECDH pads (≈ step1's), n − 1 PoP checks, own share check, n pubshares, CertEq signature.
  const pops = Array.from({ length: 50 }, () => p1.pmsg1.subarray(33 * t, 33 * t + 64));
  const C0 = pointToXonly(com.ges[0] as never);
  const [, tPop, cPop] = time(() => pops.forEach((pop) => popVerify(pop, C0, 0)));
  // A transcript of the real size (its contents do not change the cost).
  const eq = Uint8Array.from({ length: 4 + 33 * t + 162 * n }, (_, i) => (i * 131) & 0xff);
  const [cert, tCertSign, cCertSign] = time(() => hostseckeys.map((sk, i) => certeqParticipantStep(sk, i, eq, randomBytes(32))));
  const certBytes = new Uint8Array(64 * n);
  cert.forEach((s, i) => certBytes.set(s, 64 * i));
  const [, tCertVerify, cCertVerify] = time(() => certeqVerify(hostpubkeys, eq, certBytes));
  const step2: Timing = {
    wall: t1 + (tPop / pops.length) * (n - 1) + tPub + tCertSign / n,
    cpu: c1 + (cPop / pops.length) * (n - 1) + cPub + cCertSign / n,
  };
  row('DKG participant step2 (estimate from measured parts)', wc(step2.wall, step2.cpu), `n ECDH pads (≈ step1) + ${n - 1} PoP checks at ${fmt(cPop / pops.length)} CPU + n pubshares + one CertEq signature`);
  row('DKG certificate check (coordinator finalize, participant finalize)', wc(tCertVerify, cCertVerify), `measured: ${n} BIP340 verifications, each hashing the ${((4 + 33 * t + 162 * n) / 1024).toFixed(0)} KiB transcript`);
  row(
    `DKG ${t}-of-${n}: critical path (one machine per participant)`,
    wc(t1 + coord.wall + step2.wall + 2 * tCertVerify, c1 + coord.cpu + step2.cpu + 2 * cCertVerify),
    'step1 + coordinator step1 + step2 + coordinator finalize + participant finalize; network time excluded. The CPU figure is what an unloaded machine would take',
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
