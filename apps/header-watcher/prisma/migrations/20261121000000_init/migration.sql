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
CREATE INDEX "header_height_idx" ON "header" ("height");
CREATE UNIQUE INDEX "header_best_height" ON "header" ("height") WHERE "in_best";
