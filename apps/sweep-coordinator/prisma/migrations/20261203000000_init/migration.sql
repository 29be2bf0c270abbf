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

-- The sweep pipeline's state (packages/sweeps records). Columns for what is looked up by; the rest of each record
-- in `data` (JSON with bigints as {"$sats":"<decimal>"}), written whole by the store, so the Postgres and in-memory
-- stores hold exactly the same records (test/store-parity.test.ts).

-- The pipeline's view of the best chain, from btc.header.* events; a disconnect removes its block.
CREATE TABLE "chain_block" (
  "hash" CHAR(64) PRIMARY KEY,
  "height" INTEGER NOT NULL,
  "prev_hash" CHAR(64) NOT NULL,
  "is_tip" BOOLEAN NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX "chain_block_one_tip" ON "chain_block" ("is_tip") WHERE "is_tip";

CREATE TABLE "withdrawal" (
  "id" NUMERIC(78, 0) PRIMARY KEY CHECK ("id" >= 0),
  "sender" TEXT NOT NULL,
  "status" TEXT NOT NULL CHECK ("status" IN ('final', 'queued', 'signing', 'broadcast', 'confirmed', 'paid')),
  "sweep_txid" CHAR(64),
  "data" JSONB NOT NULL,
  "updated_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX "withdrawal_status" ON "withdrawal" ("status", "id");
CREATE INDEX "withdrawal_sender" ON "withdrawal" ("sender", "id");

CREATE TABLE "withdrawal_history" (
  "seq" BIGSERIAL PRIMARY KEY,
  "withdrawal_id" NUMERIC(78, 0) NOT NULL,
  "status" TEXT NOT NULL,
  "detail" TEXT NOT NULL,
  "sweep_txid" CHAR(64),
  "at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX "withdrawal_history_id" ON "withdrawal_history" ("withdrawal_id", "seq");

CREATE TABLE "deposit" (
  "txid" CHAR(64) NOT NULL,
  "vout" INTEGER NOT NULL,
  "state" TEXT NOT NULL CHECK ("state" IN ('available', 'in-sweep', 'swept', 'reorged', 'reclaimed')),
  "block_height" INTEGER NOT NULL,
  "data" JSONB NOT NULL,
  PRIMARY KEY ("txid", "vout")
);
CREATE INDEX "deposit_state" ON "deposit" ("state", "block_height");

-- A family: every version spends the same custody input, so at most one of them confirms.
CREATE TABLE "sweep_family" (
  "id" INTEGER PRIMARY KEY,
  "status" TEXT NOT NULL CHECK ("status" IN ('active', 'confirmed', 'abandoned')),
  "data" JSONB NOT NULL
);
CREATE INDEX "sweep_family_status" ON "sweep_family" ("status", "id");

-- Each version is written (unsigned) before any signature is asked for, and signed before any broadcast.
CREATE TABLE "sweep_version" (
  "txid" CHAR(64) PRIMARY KEY,
  "family_id" INTEGER NOT NULL REFERENCES "sweep_family" ("id"),
  "version" INTEGER NOT NULL,
  "status" TEXT NOT NULL CHECK ("status" IN ('planned', 'signing', 'signed', 'broadcast', 'confirmed', 'replaced', 'failed')),
  "data" JSONB NOT NULL,
  "updated_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE ("family_id", "version")
);

-- One row at most: why the pipeline refuses to build (a conflicting spend of custody).
CREATE TABLE "halt" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "data" JSONB NOT NULL,
  "at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
