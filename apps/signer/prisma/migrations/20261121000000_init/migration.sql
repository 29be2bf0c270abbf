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

-- What this signer committed to, signed and refused: its own audit trail (public data only; never a secret nonce
-- or share). `pubnonce` is the commitment used (signed) or offered (nonce).
CREATE TABLE "signing_decision" (
  "id" BIGSERIAL PRIMARY KEY,
  "session_id" TEXT NOT NULL,
  "request_id" TEXT NOT NULL,
  "purpose" TEXT NOT NULL,
  "message" TEXT NOT NULL,
  "outcome" TEXT NOT NULL CHECK ("outcome" IN ('nonce', 'signed', 'refused')),
  "policy" TEXT,
  "reason" TEXT,
  "pubnonce" TEXT,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
CREATE INDEX "signing_decision_request_idx" ON "signing_decision" ("request_id");
-- A signer never commits to one pubnonce twice.
CREATE UNIQUE INDEX "signing_decision_nonce_once" ON "signing_decision" ("pubnonce") WHERE "outcome" = 'nonce';
