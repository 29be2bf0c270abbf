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

CREATE TABLE "header" (
  "hash" CHAR(64) PRIMARY KEY,
  "height" INTEGER NOT NULL,
  "prev_hash" CHAR(64) NOT NULL,
  "raw" BYTEA NOT NULL,
  "chainwork" CHAR(64) NOT NULL,
  "in_best" BOOLEAN NOT NULL,
  "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
-- At most one best-chain header per height: a half-applied reorg cannot be stored. Also the index for every
-- best-chain read (tip, by height, ranges).
CREATE UNIQUE INDEX "header_best_height" ON "header" ("height") WHERE "in_best";
-- Headers off the best chain are few: index them by height (restart) and by parent (fork tips are those without a
-- child off the best chain; a best-chain header's parent is always on it). Partial indexes keep catch-up inserts,
-- nearly all best-chain, to the primary key and header_best_height.
CREATE INDEX "header_side_height" ON "header" ("height") WHERE NOT "in_best";
CREATE INDEX "header_side_prev_hash" ON "header" ("prev_hash") WHERE NOT "in_best";

-- Where the chain in memory starts on a restart (one row). `origin_*` is where sync first started (the configured
-- checkpoint or genesis) and never changes; `checkpoint` is the root the watcher rebuilds from, moved up as the
-- in-memory chain prunes old headers, so a restart replays thousands of headers, not the whole chain.
CREATE TABLE "chain_root" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "network" TEXT NOT NULL,
  "origin_height" INTEGER NOT NULL,
  "origin_hash" CHAR(64) NOT NULL,
  "height" INTEGER NOT NULL,
  "hash" CHAR(64) NOT NULL,
  "checkpoint" JSONB NOT NULL,
  "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT now()
);
