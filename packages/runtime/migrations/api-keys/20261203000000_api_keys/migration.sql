-- API keys for the services' state-changing endpoints (packages/runtime src/api-keys.ts). Only a sha256 of each key
-- is stored: the key itself is shown once, by `tapbridge apikey create`.
CREATE TABLE "api_key" (
  "id" TEXT PRIMARY KEY,
  "name" TEXT NOT NULL,
  "key_sha256" BYTEA NOT NULL,
  "scopes" TEXT[] NOT NULL,
  "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "expires_at" TIMESTAMPTZ,
  "revoked_at" TIMESTAMPTZ,
  "last_used_at" TIMESTAMPTZ
);
