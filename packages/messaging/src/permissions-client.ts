import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { inboxPrefix } from './permissions.js';

/** How a service proves its NATS identity (packages/config commonServiceShape: NATS_*). All optional: none = anonymous. */
export interface NatsCredentialSettings {
  /** User name; default the service identity (`header-watcher`, `signer-3`). */
  NATS_USER?: string | undefined;
  NATS_PASSWORD?: string | undefined;
  /** A directory holding `<identity>.password` (the devnet's generated passwords, `.devnet/nats/users`). */
  NATS_CREDENTIALS_DIR?: string | undefined;
  /** A NATS JWT creds file (operator/account deployments). */
  NATS_CREDS_FILE?: string | undefined;
  /** An nkey seed file (`SU…`), for servers that list the user's nkey. */
  NATS_NKEY_SEED_FILE?: string | undefined;
  /** CA bundle to verify the server (PEM file); setting any NATS_TLS_* turns TLS on. */
  NATS_TLS_CA?: string | undefined;
  /** Client certificate and key (PEM files) for servers that verify clients. */
  NATS_TLS_CERT?: string | undefined;
  NATS_TLS_KEY?: string | undefined;
}

/**
 * Connection options for `identity` from its settings: credentials, TLS and an inbox prefix of its own (the server
 * lets each identity subscribe only under `_INBOX.<identity>`). Throws when a named file is missing.
 */
export function natsClientOptions(identity: string, s: NatsCredentialSettings): Partial<ConnectionOptions> {
  const user = s.NATS_USER ?? identity;
  const out: Partial<ConnectionOptions> = { inboxPrefix: inboxPrefix(user) };
  let password = s.NATS_PASSWORD;
  if (password === undefined && s.NATS_CREDENTIALS_DIR) {
    const file = path.join(s.NATS_CREDENTIALS_DIR, `${user}.password`);
    if (!existsSync(file)) throw new Error(`NATS_CREDENTIALS_DIR has no ${user}.password`);
    password = readFileSync(file, 'utf8').trim();
  }
  if (password !== undefined) Object.assign(out, { user, pass: password });
  if (s.NATS_CREDS_FILE) out.authenticator = credsAuthenticator(readFileSync(s.NATS_CREDS_FILE));
  else if (s.NATS_NKEY_SEED_FILE) out.authenticator = nkeyAuthenticator(new TextEncoder().encode(readFileSync(s.NATS_NKEY_SEED_FILE, 'utf8').trim()));
  if (s.NATS_TLS_CA || s.NATS_TLS_CERT || s.NATS_TLS_KEY) {
    out.tls = {
      ...(s.NATS_TLS_CA ? { caFile: s.NATS_TLS_CA } : {}),
      ...(s.NATS_TLS_CERT ? { certFile: s.NATS_TLS_CERT } : {}),
      ...(s.NATS_TLS_KEY ? { keyFile: s.NATS_TLS_KEY } : {}),
    };
  }
  return out;
}
