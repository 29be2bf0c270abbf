/**
 * Child process for frost.bench.ts: one signer's whole session at n participants, in a fresh process so
 * its resident set size is its own. Reads a JSON job on stdin, prints one JSON line with memory figures.
 * Does what packages/signing's signer does: decode the group key once, then per session decode the
 * wire request (t pubnonces in hex), optionally re-add them (nonceAgg), sign, and make the next nonce.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { GroupKey, nonceAgg, nonceGen, sign } from '../src/index.js';

interface Job {
  n: number;
  t: number;
  threshPk: string;
  pubshares: string[];
  secshare: string;
  me: number;
  otherPubnonces: string[];
  msg: string;
  tweak: string;
  recheckAggnonce: boolean;
}

const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', () => {
  const baseline = process.memoryUsage();
  const job = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Job;
  let peakRss = process.memoryUsage().rss;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 5);
  const groupKey = GroupKey.fromShares({ n: job.n, t: job.t, threshPk: hexToBytes(job.threshPk), pubshares: job.pubshares.map(hexToBytes) });
  const secshare = hexToBytes(job.secshare);
  const msg = hexToBytes(job.msg);
  const mine = nonceGen({ secshare, msg });
  sample();
  // The session request as it arrives: every signer's pubnonce in hex, our own at our position.
  const signers = Array.from({ length: job.t }, (_, i) => i);
  const wirePubnonces = [...job.otherPubnonces];
  wirePubnonces.splice(job.me, 0, Buffer.from(mine.pubnonce).toString('hex'));
  const start = performance.now();
  const pubnonces = wirePubnonces.map(hexToBytes);
  const aggnonce = nonceAgg(pubnonces); // the coordinator's aggregate (here computed for the request)
  if (job.recheckAggnonce) nonceAgg(pubnonces);
  const session = { aggnonce, signersCtx: groupKey.signersContext(signers), tweaks: [hexToBytes(job.tweak)], isXonly: [true], msg };
  sign(mine.secnonce, secshare, job.me, session);
  nonceGen({ secshare, msg });
  sample();
  clearInterval(timer);
  const end = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({ baselineRss: baseline.rss, peakRss, endRss: end.rss, heapUsed: end.heapUsed, ms: performance.now() - start })}\n`,
  );
});
