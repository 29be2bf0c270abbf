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

-- The indexer's view of the best chain: the blocks it has applied, each undone when its disconnect event arrives.
CREATE TABLE "chain_block" (
  "hash" CHAR(64) PRIMARY KEY,
  "height" INTEGER NOT NULL,
  "prev_hash" CHAR(64) NOT NULL,
  "header" CHAR(160) NOT NULL,
  "applied_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
-- One applied block per height: a half-undone reorg cannot be stored.
CREATE UNIQUE INDEX "chain_block_height" ON "chain_block" ("height");

CREATE TABLE "deposit" (
  "txid" CHAR(64) NOT NULL,
  "vout" INTEGER NOT NULL CHECK ("vout" >= 0),
  "kind" TEXT NOT NULL CHECK ("kind" IN ('taproot', 'op_return')),
  "script_pub_key" TEXT NOT NULL,
  "deposit_script" TEXT,
  "reclaim_script" TEXT,
  "lock_blocks" INTEGER,
  "amount_sats" BIGINT NOT NULL CHECK ("amount_sats" > 0),
  "recipient" CHAR(42) NOT NULL,
  "max_fee_sats" BIGINT NOT NULL CHECK ("max_fee_sats" >= 0),
  "status" TEXT NOT NULL CHECK ("status" IN ('registered', 'seen', 'confirmed', 'swept', 'reclaimed', 'spent', 'dropped', 'reorged')),
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  PRIMARY KEY ("txid", "vout"),
  CHECK (("kind" = 'taproot') = ("deposit_script" IS NOT NULL AND "reclaim_script" IS NOT NULL))
);
-- The watch set: registered taproot deposits a block can still pay or spend.
CREATE INDEX "deposit_watch_idx" ON "deposit" ("script_pub_key") WHERE "kind" = 'taproot' AND "status" NOT IN ('swept', 'reclaimed', 'spent');
CREATE INDEX "deposit_recipient_idx" ON "deposit" ("recipient", "created_at");
CREATE INDEX "deposit_status_idx" ON "deposit" ("status", "created_at");

CREATE TABLE "deposit_history" (
  "seq" BIGSERIAL PRIMARY KEY,
  "txid" CHAR(64) NOT NULL,
  "vout" INTEGER NOT NULL,
  "status" TEXT NOT NULL,
  "block_hash" CHAR(64),
  "block_height" INTEGER,
  "detail" TEXT NOT NULL,
  "at" TIMESTAMPTZ(6) NOT NULL DEFAULT now(),
  FOREIGN KEY ("txid", "vout") REFERENCES "deposit" ("txid", "vout")
);
CREATE INDEX "deposit_history_deposit_idx" ON "deposit_history" ("txid", "vout", "seq");

-- What each applied block did to a deposit (its output, or a spend of it). Deleted with the block on a disconnect.
CREATE TABLE "sighting" (
  "block_hash" CHAR(64) NOT NULL REFERENCES "chain_block" ("hash"),
  "kind" TEXT NOT NULL CHECK ("kind" IN ('output', 'spend')),
  "txid" CHAR(64) NOT NULL,
  "vout" INTEGER NOT NULL,
  "block_height" INTEGER NOT NULL,
  "tx_index" INTEGER,
  "merkle_proof" TEXT,
  "spend_txid" CHAR(64),
  "path" TEXT CHECK ("path" IN ('deposit-leaf', 'reclaim-leaf', 'key-path', 'unknown')),
  "announced" BOOLEAN NOT NULL DEFAULT false,
  PRIMARY KEY ("block_hash", "kind", "txid", "vout"),
  FOREIGN KEY ("txid", "vout") REFERENCES "deposit" ("txid", "vout"),
  CHECK (("kind" = 'output') = ("merkle_proof" IS NOT NULL AND "tx_index" IS NOT NULL)),
  CHECK (("kind" = 'spend') = ("spend_txid" IS NOT NULL AND "path" IS NOT NULL))
);
CREATE INDEX "sighting_deposit_idx" ON "sighting" ("txid", "vout");
CREATE INDEX "sighting_unannounced_idx" ON "sighting" ("block_height") WHERE NOT "announced";

-- Outputs paying the custody scriptPubKey and, once spent, the block and transaction that spent them.
CREATE TABLE "custody_utxo" (
  "txid" CHAR(64) NOT NULL,
  "vout" INTEGER NOT NULL,
  "amount_sats" BIGINT NOT NULL CHECK ("amount_sats" >= 0),
  "block_hash" CHAR(64) NOT NULL REFERENCES "chain_block" ("hash"),
  "block_height" INTEGER NOT NULL,
  "spent_block_hash" CHAR(64) REFERENCES "chain_block" ("hash"),
  "spent_txid" CHAR(64),
  PRIMARY KEY ("txid", "vout")
);
CREATE INDEX "custody_utxo_block_idx" ON "custody_utxo" ("block_hash");
CREATE INDEX "custody_utxo_spent_block_idx" ON "custody_utxo" ("spent_block_hash");
CREATE INDEX "custody_utxo_unspent_idx" ON "custody_utxo" ("block_height") WHERE "spent_block_hash" IS NULL;
