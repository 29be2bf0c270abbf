// The signing loop's logs and metrics: packages/signing's SigningDriver reports what it did, the app says it.
import type { Logger } from '@tapbridge/observability';
import type { SigningObserver } from '@tapbridge/signing';
import { attempts, misbehaviour, roastSessions, signaturesTotal, signingSeconds } from './metrics.js';

export function signingObserver(logger: Logger): SigningObserver {
  return {
    requested: (row) => logger.info({ requestId: row.id, purpose: row.purpose, kind: row.request.payload.kind }, 'signature requested'),
    resuming: (pending) => logger.info({ pending }, 'resuming pending signature requests with fresh nonces'),
    attemptStarted: ({ requestId, attempt }, cause) => {
      attempts.inc({ cause });
      logger.info({ requestId, attempt, cause }, 'signing attempt started');
    },
    replied: ({ requestId, attempt }, signer, reply, detail) => logger.debug({ requestId, attempt, signer, reply, ...(detail ? { err: detail } : {}) }, 'signer answered'),
    performed: ({ requestId, attempt, createdAt }, c) => {
      switch (c.type) {
        case 'record-session':
          roastSessions.inc();
          logger.info({ requestId, attempt, roastSession: c.session.roastSession, signers: c.session.signers }, 'ROAST session started');
          break;
        case 'complete':
          signaturesTotal.inc({ outcome: 'signed' });
          signingSeconds.observe((Date.now() - createdAt) / 1_000);
          logger.info({ requestId, attempt, signers: c.signers }, 'signature complete');
          break;
        case 'fail':
          signaturesTotal.inc({ outcome: c.outcome });
          logger.warn({ requestId, attempt, error: c.error }, c.outcome === 'refused' ? 'signature refused' : 'signature timed out');
          break;
        case 'record-misbehaviour':
          misbehaviour.inc({ signer: String(c.signer), reason: c.reason });
          logger.warn({ requestId, attempt, signer: c.signer, reason: c.reason, detail: c.detail }, 'signer misbehaved; excluded from this request');
          break;
        case 'record-response':
          if (c.kind === 'refusal') logger.info({ requestId, attempt, signer: c.signer, reason: c.fields.detail }, 'signer refused');
          break;
        case 'nonce-lost':
          logger.info({ requestId, attempt, signer: c.signer, roastSession: c.roastSession }, 'signer lost its nonce; it rejoins the attempt with a fresh one');
          break;
        case 'stalled':
          logger.warn({ requestId, attempt, sessions: c.sessionsStarted }, 'attempt stalled; starting a new one with fresh nonces');
          break;
        default:
          break;
      }
    },
    failed: (requestId, what, err) => logger.error({ requestId, err: err.message }, `failed: ${what}`),
  };
}
