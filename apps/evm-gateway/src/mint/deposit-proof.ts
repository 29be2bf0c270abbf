// Where the gateway's deposit check (packages/evm deposit-check.ts: the proof, the header chain, what the transaction
// pays) gets what it checks against: the header-watcher's headers (rpc.btc.headers.*, NatsHeaderChain) and our custody,
// as the signing-coordinator says it holds it (rpc.signing.custody.get, CoordinatorCustody). A service that does not
// answer means "not yet" (retried), never "forged".
import { checkDepositPayment, CustodyView, judgeProof, parseDepositProof, WatcherHeader, type HeaderChain, type PaymentCheckOptions, type ProofVerdict } from '@tapbridge/evm';
import { NoRespondersError, RemoteError, RequestTimeoutError, request, type EventPayload, type Messaging, type depositConfirmed } from '@tapbridge/messaging';

type DepositConfirmed = EventPayload<typeof depositConfirmed>;

/** The header-watcher's subjects (apps/header-watcher/src/headers.rpc.ts), under the `rpc.` request prefix. */
export const HEADER_SUBJECTS = { get: 'btc.headers.get', tip: 'btc.headers.tip' } as const;

/** The header-watcher's NATS API (rpc.btc.headers.*). Transport failures throw; "not found" is undefined. */
export class NatsHeaderChain implements HeaderChain {
  constructor(
    private readonly messaging: Messaging,
    private readonly timeoutMs = 5_000,
  ) {}

  async byHash(hash: string): Promise<WatcherHeader | undefined> {
    try {
      return await request(this.messaging, HEADER_SUBJECTS.get, { heightOrHash: hash }, { timeoutMs: this.timeoutMs, response: WatcherHeader });
    } catch (err) {
      if (err instanceof RemoteError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  async tipHeight(): Promise<number> {
    return (await request(this.messaging, HEADER_SUBJECTS.tip, {}, { timeoutMs: this.timeoutMs, response: WatcherHeader })).height;
  }
}

/** The signing-coordinator's subject (apps/signing-coordinator/src/signing.rpc.ts), under the `rpc.` request prefix. */
export const CUSTODY_SUBJECT = 'signing.custody.get';

export type CustodyAnswer = { known: true; custody: CustodyView } | { known: false; reason: string };

/** Where our custody comes from: the signing-coordinator over NATS in the service, a fixed value in unit tests. */
export interface CustodySource {
  /** The custody, from cache once known. Unknown (coordinator down, DKG not done) is an answer, not an error. */
  get(): Promise<CustodyAnswer>;
  /** Asks again (a deposit named another key: perhaps our key changed); rate-limited, so a flood costs nothing. */
  refresh(): Promise<CustodyAnswer>;
}

/**
 * The signing-coordinator's custody view over NATS, cached once known: the group key changes only with a new DKG.
 * `refresh` re-asks at most once per `refreshIntervalMs`, so deposits to a foreign key cannot flood the coordinator.
 */
export class CoordinatorCustody implements CustodySource {
  private cached: CustodyView | undefined;
  private askedAt = -Infinity;
  private inFlight: Promise<CustodyAnswer> | undefined;

  constructor(
    private readonly messaging: Messaging,
    private readonly timeoutMs = 5_000,
    private readonly refreshIntervalMs = 30_000,
    private readonly onLearned: (custody: CustodyView, previous: CustodyView | undefined) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<CustodyAnswer> {
    if (this.cached !== undefined) return Promise.resolve({ known: true, custody: this.cached });
    return this.ask();
  }

  refresh(): Promise<CustodyAnswer> {
    if (this.cached !== undefined && this.now() - this.askedAt < this.refreshIntervalMs) return Promise.resolve({ known: true, custody: this.cached });
    return this.ask();
  }

  private ask(): Promise<CustodyAnswer> {
    // One request at a time: a batch of deposits waiting for the custody asks once.
    this.inFlight ??= (async (): Promise<CustodyAnswer> => {
      this.askedAt = this.now();
      try {
        // The subject written out, so the permissions drift test sees this request (CUSTODY_SUBJECT).
        const custody = await request(this.messaging, 'signing.custody.get', {}, { timeoutMs: this.timeoutMs, response: CustodyView });
        const previous = this.cached;
        this.cached = custody;
        if (previous?.groupKey !== custody.groupKey || previous.scriptPubKey !== custody.scriptPubKey) this.onLearned(custody, previous);
        return { known: true, custody };
      } catch (err) {
        if (err instanceof NoRespondersError || err instanceof RequestTimeoutError || err instanceof RemoteError) {
          // Keep what we knew: a coordinator that is restarting does not make our custody unknown.
          if (this.cached !== undefined) return { known: true, custody: this.cached };
          return { known: false, reason: `the signing-coordinator did not say what our custody is: ${err.message}` };
        }
        throw err;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}

/**
 * Checks a deposit.confirmed end to end: the proof, then the header chain, then what the transaction pays. An
 * unreachable watcher is "not yet".
 */
export async function verifyDeposit(deposit: DepositConfirmed, chain: HeaderChain, minConfirmations: number, o: PaymentCheckOptions): Promise<ProofVerdict> {
  const verdict = await verifyDepositProof(deposit, chain, minConfirmations);
  if (verdict.verdict !== 'valid') return verdict;
  const payment = checkDepositPayment(deposit, o);
  return payment.ok ? verdict : { verdict: 'forged', reason: payment.reason, ...(payment.foreignCustody ? { foreignCustody: true as const } : {}) };
}

/** The proof and the header chain only. */
export async function verifyDepositProof(deposit: DepositConfirmed, chain: HeaderChain, minConfirmations: number): Promise<ProofVerdict> {
  const proof = parseDepositProof(deposit);
  if (!proof.ok) return { verdict: 'forged', reason: proof.reason };
  try {
    const header = await chain.byHash(proof.blockHash);
    const tip = header === undefined ? await chain.tipHeight() : header.height + header.confirmations - 1;
    return judgeProof(deposit, proof, header, tip, minConfirmations);
  } catch (err) {
    if (err instanceof NoRespondersError || err instanceof RequestTimeoutError) return { verdict: 'not-yet', reason: `the header-watcher did not answer: ${err.message}` };
    if (err instanceof RemoteError) return { verdict: 'not-yet', reason: `the header-watcher failed: ${err.code} ${err.message}` };
    throw err;
  }
}
