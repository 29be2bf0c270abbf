import { counter, gauge, histogram } from '@tapbridge/observability';

export const signaturesTotal = counter('tapbridge_signing_signatures_total', 'Signature requests finished, by outcome', ['outcome']);
export const roastSessions = counter('tapbridge_signing_roast_sessions_total', 'ROAST sessions started');
export const attempts = counter('tapbridge_signing_attempts_total', 'Signing attempts started (fresh nonces from every signer)', ['cause']);
export const misbehaviour = counter('tapbridge_signing_misbehaviour_total', 'Signers caught misbehaving', ['signer', 'reason']);
export const rejectedMessages = counter('tapbridge_signing_messages_rejected_total', 'Protocol messages refused by the coordinator (forged, stale, replayed, malformed)', ['sender', 'reason']);
export const signersLive = gauge('tapbridge_signing_signers_live', 'Signers heard from within the liveness window');
export const groupKeyReady = gauge('tapbridge_signing_group_key_ready', '1 once the DKG produced a group key');
export const signingSeconds = histogram('tapbridge_signing_duration_seconds', 'Time from request to signature', [], [0.25, 0.5, 1, 2, 5, 10, 30, 60, 120]);
