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

-- api-gateway owns only the webhook tables: who subscribed to what, and every delivery and attempt.
-- The bridge's data stays with the services that own it (the gateway reads it over rpc.*).
CREATE TABLE "webhook_subscription" (
  "id" UUID PRIMARY KEY,
  -- The API key that created it: only that key (or a `*` key) sees and revokes it.
  "api_key_id" TEXT NOT NULL,
  "url" TEXT NOT NULL,
  -- HMAC-SHA256 key of the deliveries' signatures; shown once, at creation.
  "secret" TEXT NOT NULL,
  "events" TEXT[] NOT NULL,
  "deposit" TEXT,
  "withdrawal_id" TEXT,
  "recipient" TEXT,
  "sender" TEXT,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  "revoked_at" TIMESTAMPTZ(6)
);
CREATE INDEX "webhook_subscription_live" ON "webhook_subscription" ("created_at") WHERE "revoked_at" IS NULL;

-- One row per (event, subscription): the id is derived from both, so a redelivered event never delivers twice.
CREATE TABLE "webhook_delivery" (
  "id" TEXT PRIMARY KEY,
  "subscription_id" UUID NOT NULL REFERENCES "webhook_subscription" ("id"),
  "event_id" TEXT NOT NULL,
  "event" TEXT NOT NULL,
  "payload" JSONB NOT NULL,
  "status" TEXT NOT NULL DEFAULT 'pending' CHECK ("status" IN ('pending', 'delivered', 'failed')),
  "attempts" INTEGER NOT NULL DEFAULT 0,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  "delivered_at" TIMESTAMPTZ(6)
);
CREATE INDEX "webhook_delivery_subscription" ON "webhook_delivery" ("subscription_id", "created_at");

CREATE TABLE "webhook_attempt" (
  "delivery_id" TEXT NOT NULL REFERENCES "webhook_delivery" ("id"),
  "attempt" INTEGER NOT NULL,
  "started_at" TIMESTAMPTZ(6) NOT NULL,
  "duration_ms" INTEGER NOT NULL,
  "status_code" INTEGER,
  "error" TEXT,
  PRIMARY KEY ("delivery_id", "attempt")
);
