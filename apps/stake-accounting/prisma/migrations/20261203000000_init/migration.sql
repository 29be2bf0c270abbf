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


-- The stake ledger: double-entry, append-only. A transaction (ledger_tx) is one fact (an L2 log, an evidence id, an
-- epoch's reward run), its postings sum to zero per asset, and neither is ever updated or deleted (triggers below).
-- ledger_balance is derived from the postings in the same transaction that inserts them: writers lock its rows in
-- one fixed order (account, asset), and internal accounts may never go below zero.
CREATE TABLE "ledger_tx" (
  "id" TEXT PRIMARY KEY,
  "seq" BIGSERIAL NOT NULL UNIQUE,
  "source_kind" TEXT NOT NULL CHECK ("source_kind" IN ('l2_log', 'evidence', 'reward')),
  "block_hash" CHAR(66),
  "log_index" INTEGER,
  "evidence_id_hash" CHAR(66),
  "evidence_id" TEXT,
  "epoch" INTEGER,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  CONSTRAINT "ledger_tx_traceable" CHECK (
    ("source_kind" = 'l2_log' AND "block_hash" IS NOT NULL AND "log_index" IS NOT NULL)
    OR ("source_kind" = 'evidence' AND "evidence_id" IS NOT NULL)
    OR ("source_kind" = 'reward' AND "epoch" IS NOT NULL))
);
CREATE TABLE "ledger_posting" (
  "tx_id" TEXT NOT NULL REFERENCES "ledger_tx" ("id"),
  "account" TEXT NOT NULL,
  "asset" TEXT NOT NULL CHECK ("asset" IN ('STAKE', 'WEI')),
  "amount" NUMERIC(78, 0) NOT NULL CHECK ("amount" <> 0),
  PRIMARY KEY ("tx_id", "account", "asset")
);
CREATE INDEX "ledger_posting_account" ON "ledger_posting" ("account", "asset");
CREATE TABLE "ledger_balance" (
  "account" TEXT NOT NULL,
  "asset" TEXT NOT NULL,
  "balance" NUMERIC(78, 0) NOT NULL DEFAULT 0,
  PRIMARY KEY ("account", "asset"),
  CONSTRAINT "internal_balance_non_negative" CHECK ("balance" >= 0 OR "account" LIKE 'external:%')
);
CREATE FUNCTION "ledger_entries_are_immutable"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are immutable: % on % refused', TG_OP, TG_TABLE_NAME;
END
$$;
CREATE TRIGGER "ledger_tx_immutable" BEFORE UPDATE OR DELETE ON "ledger_tx" FOR EACH ROW EXECUTE FUNCTION "ledger_entries_are_immutable"();
CREATE TRIGGER "ledger_posting_immutable" BEFORE UPDATE OR DELETE ON "ledger_posting" FOR EACH ROW EXECUTE FUNCTION "ledger_entries_are_immutable"();
CREATE TRIGGER "ledger_tx_no_truncate" BEFORE TRUNCATE ON "ledger_tx" FOR EACH STATEMENT EXECUTE FUNCTION "ledger_entries_are_immutable"();
CREATE TRIGGER "ledger_posting_no_truncate" BEFORE TRUNCATE ON "ledger_posting" FOR EACH STATEMENT EXECUTE FUNCTION "ledger_entries_are_immutable"();

-- The staking contract's logs, indexed at the L2's finality depth, in chain order. The cursor (one row) moves in
-- the same transaction as the logs and their ledger entries, so a crash replays from the last committed block.
CREATE TABLE "staking_log" (
  "block_number" BIGINT NOT NULL,
  "log_index" INTEGER NOT NULL,
  "block_hash" CHAR(66) NOT NULL,
  "tx_hash" CHAR(66) NOT NULL,
  "event" TEXT NOT NULL,
  "fields" JSONB NOT NULL,
  PRIMARY KEY ("block_number", "log_index")
);
CREATE TABLE "index_cursor" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "block_number" BIGINT NOT NULL,
  "block_hash" CHAR(66) NOT NULL,
  "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

-- signing.misbehaviour reports as received. Only a report with verifiable evidence becomes a slash; the others
-- stay 'unproven' (kept, shown, never slashed).
CREATE TABLE "misbehaviour_report" (
  "event_id" TEXT PRIMARY KEY,
  "session_id" TEXT NOT NULL,
  "signer_index" INTEGER NOT NULL,
  "reason" TEXT NOT NULL,
  "detail" TEXT NOT NULL,
  "status" TEXT NOT NULL CHECK ("status" IN ('unproven', 'slash_planned', 'duplicate', 'rejected')),
  "status_reason" TEXT NOT NULL,
  "evidence_id" TEXT,
  "received_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

-- Slashes decided on proof, once per evidence id. The evidence is kept whole so anyone can check it offline.
CREATE TABLE "slash" (
  "evidence_id" TEXT PRIMARY KEY,
  "evidence_id_hash" CHAR(66) NOT NULL UNIQUE,
  "offence" TEXT NOT NULL,
  "signer" CHAR(42) NOT NULL,
  "host_pubkey" CHAR(66) NOT NULL,
  "epoch" INTEGER NOT NULL,
  "jailed_until_epoch" INTEGER NOT NULL,
  "planned_total" NUMERIC(78, 0) NOT NULL,
  "debits" JSONB NOT NULL,
  "evidence" JSONB NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

-- Epochs as started: the active set, its threshold and host keys (what stake.epoch.started carried).
CREATE TABLE "epoch" (
  "epoch" INTEGER PRIMARY KEY,
  "start_height" INTEGER NOT NULL,
  "start_hash" CHAR(64) NOT NULL,
  "threshold" INTEGER NOT NULL,
  "total_stake" NUMERIC(78, 0) NOT NULL,
  "members" JSONB NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);

-- Accepted price updates (and freezes), newest last.
CREATE TABLE "price_update" (
  "id" BIGSERIAL PRIMARY KEY,
  "status" TEXT NOT NULL CHECK ("status" IN ('ok', 'frozen')),
  "sats_per_token" NUMERIC(78, 0),
  "median" NUMERIC(78, 0),
  "sources" INTEGER NOT NULL,
  "clamped" BOOLEAN NOT NULL DEFAULT false,
  "reason" TEXT,
  "at" TIMESTAMPTZ(6) NOT NULL
);

-- One reward run per epoch (the BullMQ job's idempotency record; its ledger transaction is reward:<epoch>).
CREATE TABLE "reward_run" (
  "epoch" INTEGER PRIMARY KEY,
  "income_wei" NUMERIC(78, 0) NOT NULL,
  "paid_wei" NUMERIC(78, 0) NOT NULL,
  "undistributed_wei" NUMERIC(78, 0) NOT NULL,
  "payouts" JSONB NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
