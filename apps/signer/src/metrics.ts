import { counter, gauge } from '@tapbridge/observability';

export const signerReady = gauge('tapbridge_signer_ready', '1 when this signer holds a key share and takes part in signing');
export const sessions = counter('tapbridge_signer_sessions_total', 'Signing decisions by outcome (nonce committed, partial signature sent, refused)', ['outcome']);
export const rejected = counter('tapbridge_signer_messages_rejected_total', 'Protocol messages refused (forged, stale, replayed, malformed, …)', ['code']);
export const secretNonces = gauge('tapbridge_signer_secret_nonces', 'Secret nonces held in memory');
