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

-- One row per channel custody is a party to. `party` is custody's state-machine state (packages/channels
-- encodePartyState, zod-validated on read); `params` the channel parameters (encodeChannelParams).
CREATE TABLE "channel" (
  "id" TEXT PRIMARY KEY,
  "params" JSONB NOT NULL,
  "evm_address" CHAR(42) NOT NULL,
  "status" TEXT NOT NULL CHECK ("status" IN ('pending-funding', 'open', 'closing', 'closed')),
  "party" JSONB NOT NULL,
  "opening_signature" CHAR(128),
  "capacity_sats" BIGINT NOT NULL CHECK ("capacity_sats" > 0),
  "close_txid" CHAR(64),
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
CREATE INDEX "channel_by_status" ON "channel" ("status");
CREATE INDEX "channel_by_evm_address" ON "channel" ("evm_address");

-- The L2 ledger of executed states: exactly once per (channel, state number) by the primary key. open: the channel
-- account (state 0); credit: a payment to custody minted as L2 BTC; burn: a return, burned before custody signs.
CREATE TABLE "channel_state" (
  "channel_id" TEXT NOT NULL REFERENCES "channel" ("id"),
  "state_number" BIGINT NOT NULL CHECK ("state_number" >= 0),
  "user_sats" BIGINT NOT NULL CHECK ("user_sats" >= 0),
  "custody_sats" BIGINT NOT NULL CHECK ("custody_sats" >= 0),
  "kind" TEXT NOT NULL CHECK ("kind" IN ('open', 'credit', 'burn')),
  "amount_sats" BIGINT NOT NULL CHECK ("amount_sats" >= 0),
  "executed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  PRIMARY KEY ("channel_id", "state_number")
);
