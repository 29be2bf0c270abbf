-- tapbridge messaging tables (canonical copy: packages/messaging/sql/outbox-inbox.sql).
-- Every service that publishes or consumes events carries this block in its first migration, in its own schema.
CREATE TABLE "outbox" (
  "seq" BIGSERIAL PRIMARY KEY,
  "event_id" TEXT NOT NULL UNIQUE,
  "subject" TEXT NOT NULL,
  "version" INTEGER NOT NULL,
  "payload" JSONB NOT NULL,
  "trace_id" TEXT,
  "created_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "published_at" TIMESTAMPTZ,
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "last_error" TEXT
);
CREATE INDEX "outbox_unpublished" ON "outbox" ("seq") WHERE "published_at" IS NULL;
CREATE TABLE "inbox" (
  "consumer" TEXT NOT NULL,
  "event_id" TEXT NOT NULL,
  "processed_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY ("consumer", "event_id")
);

-- The coordinator's message-authentication key (party 0). Not a custody key: it only signs protocol messages.
CREATE TABLE "identity" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "host_seckey" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

-- Signers by 1-based index: the host key pinned for each (first announcement before the DKG, the DKG's after),
-- when it was last heard from, and how often it was caught misbehaving.
CREATE TABLE "signer" (
  "index" INTEGER PRIMARY KEY CHECK ("index" >= 1),
  "host_pubkey" TEXT NOT NULL UNIQUE,
  "last_seen" TIMESTAMPTZ(6),
  "misbehaviour_count" INTEGER NOT NULL DEFAULT 0,
  "last_misbehaviour" TEXT
);

-- The group key from the DKG (one row): even-y threshold key, public shares, host keys, ChillDKG recovery data.
CREATE TABLE "group_key" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "ceremony_id" TEXT NOT NULL,
  "thresh_pk" TEXT NOT NULL,
  "t" INTEGER NOT NULL,
  "n" INTEGER NOT NULL,
  "pubshares" JSONB NOT NULL,
  "host_pubkeys" JSONB NOT NULL,
  "recovery_data" TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

-- One row per signature asked for. `attempt` counts fresh-nonce restarts (after a coordinator restart or a stall).
CREATE TABLE "signature_request" (
  "id" TEXT PRIMARY KEY,
  "purpose" TEXT NOT NULL,
  "request" JSONB NOT NULL,
  "message" TEXT NOT NULL,
  "output_key" TEXT NOT NULL,
  "status" TEXT NOT NULL CHECK ("status" IN ('pending', 'signed', 'failed')),
  "attempt" INTEGER NOT NULL DEFAULT 0,
  "signature" TEXT,
  "signers" INTEGER[],
  "error" TEXT,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  "completed_at" TIMESTAMPTZ(6)
);
CREATE INDEX "signature_request_pending_idx" ON "signature_request" ("created_at") WHERE "status" = 'pending';

-- ROAST sessions started within an attempt: the signers chosen and the nonce commitment each one used.
CREATE TABLE "roast_session" (
  "request_id" TEXT NOT NULL REFERENCES "signature_request" ("id"),
  "attempt" INTEGER NOT NULL,
  "roast_session" INTEGER NOT NULL,
  "signers" INTEGER[] NOT NULL,
  "pubnonces" TEXT[] NOT NULL,
  "aggnonce" TEXT NOT NULL,
  "started_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  PRIMARY KEY ("request_id", "attempt", "roast_session")
);

-- Everything each signer answered (or failed to), for the session record.
CREATE TABLE "signer_response" (
  "id" BIGSERIAL PRIMARY KEY,
  "request_id" TEXT NOT NULL REFERENCES "signature_request" ("id"),
  "attempt" INTEGER NOT NULL,
  "signer" INTEGER NOT NULL,
  "kind" TEXT NOT NULL CHECK ("kind" IN ('nonce', 'partial', 'refusal', 'misbehaviour', 'error', 'timeout')),
  "roast_session" INTEGER,
  "pubnonce" TEXT,
  "detail" TEXT,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
CREATE INDEX "signer_response_request_idx" ON "signer_response" ("request_id", "attempt");
