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

-- ---------------------------------------------------------------------------------------------------------------
-- The EVM chain store, verbatim from packages/evm/migrations/0001_init/migration.sql (test/migration.test.ts checks
-- that it stays identical). Its names are unqualified: the runner applies this file with search_path = evm_gateway.
-- ---------------------------------------------------------------------------------------------------------------
-- tapbridge EVM chain store (packages/evm/src/store/postgres-store.ts).
-- Unqualified names: apply with search_path set to the owning service's schema (e.g. "evm_gateway").
-- Hashes and addresses are bytea (32 / 20 bytes); sats and gas are bigint, wei-sized values numeric(78,0).

-- State trie nodes and contract code, content-addressed by @ethereumjs/mpt key; never deleted.
CREATE TABLE evm_trie_node (
    key   bytea PRIMARY KEY,
    value bytea NOT NULL
);

CREATE TABLE evm_block (
    number      bigint PRIMARY KEY CHECK (number >= 0),
    hash        bytea  NOT NULL UNIQUE CHECK (length(hash) = 32),
    rlp         bytea  NOT NULL
);

CREATE TABLE evm_transaction (
    hash         bytea   PRIMARY KEY CHECK (length(hash) = 32),
    block_number bigint  NOT NULL REFERENCES evm_block (number),
    tx_index     integer NOT NULL CHECK (tx_index >= 0),
    sender       bytea   NOT NULL CHECK (length(sender) = 20),
    raw          bytea   NOT NULL,
    UNIQUE (block_number, tx_index)
);

-- One row per transaction; logs live in evm_log. Numbers too wide for bigint are kept as numeric.
CREATE TABLE evm_receipt (
    tx_hash             bytea   PRIMARY KEY REFERENCES evm_transaction (hash),
    block_number        bigint  NOT NULL REFERENCES evm_block (number),
    tx_index            integer NOT NULL,
    recipient           bytea,
    contract_address    bytea,
    cumulative_gas_used bigint  NOT NULL,
    gas_used            bigint  NOT NULL,
    effective_gas_price numeric(78, 0) NOT NULL,
    status              smallint NOT NULL CHECK (status IN (0, 1)),
    tx_type             smallint NOT NULL,
    logs_bloom          bytea   NOT NULL CHECK (length(logs_bloom) = 256),
    UNIQUE (block_number, tx_index)
);

CREATE TABLE evm_log (
    block_number bigint  NOT NULL REFERENCES evm_block (number),
    log_index    integer NOT NULL,
    tx_hash      bytea   NOT NULL REFERENCES evm_transaction (hash),
    tx_index     integer NOT NULL,
    address      bytea   NOT NULL CHECK (length(address) = 20),
    topic0       bytea,
    topic1       bytea,
    topic2       bytea,
    topic3       bytea,
    data         bytea   NOT NULL,
    PRIMARY KEY (block_number, log_index)
);
CREATE INDEX evm_log_address_block ON evm_log (address, block_number);
CREATE INDEX evm_log_topic0_block ON evm_log (topic0, block_number);

-- The committed tip; exactly one row once genesis is written.
CREATE TABLE evm_head (
    id                    smallint PRIMARY KEY CHECK (id = 1),
    number                bigint   NOT NULL REFERENCES evm_block (number),
    hash                  bytea    NOT NULL,
    state_root            bytea    NOT NULL CHECK (length(state_root) = 32),
    next_withdrawal_index bigint   NOT NULL CHECK (next_withdrawal_index >= 0)
);

-- Deposit id → where it was credited. The primary key is what makes a mint happen at most once.
CREATE TABLE evm_mint (
    deposit_id       text   PRIMARY KEY,
    recipient        bytea  NOT NULL CHECK (length(recipient) = 20),
    amount_sats      bigint NOT NULL CHECK (amount_sats > 0),
    block_number     bigint NOT NULL REFERENCES evm_block (number),
    block_hash       bytea  NOT NULL,
    withdrawal_index bigint NOT NULL UNIQUE
);

-- Minted deposits whose Bitcoin block was later reorged out (alerting and reconciliation).
CREATE TABLE evm_mint_reorg (
    deposit_id  text        PRIMARY KEY REFERENCES evm_mint (deposit_id),
    reason      text        NOT NULL,
    recorded_at timestamptz NOT NULL
);

-- ---------------------------------------------------------------------------------------------------------------
-- The gateway's own tables.
-- ---------------------------------------------------------------------------------------------------------------

-- Where the burn scanner resumes (one row): the lowest EVM block whose WithdrawalRequested logs are not yet turned
-- into outbox events. Moved in the same transaction as the events it covers, so no burn is skipped or sent twice.
CREATE TABLE "withdrawal_scan" (
  "id" SMALLINT PRIMARY KEY CHECK ("id" = 1),
  "next_block" BIGINT NOT NULL CHECK ("next_block" >= 0),
  "updated_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO "withdrawal_scan" ("id", "next_block") VALUES (1, 0);

-- Burns that reached finality (EVM_FINALITY_DEPTH blocks deep) and were handed to the outbox as withdrawal.requested.
CREATE TABLE "final_withdrawal" (
  "withdrawal_id" NUMERIC(78, 0) PRIMARY KEY CHECK ("withdrawal_id" >= 0),
  "sender" BYTEA NOT NULL CHECK (length("sender") = 20),
  "btc_script_pubkey" BYTEA NOT NULL,
  "amount_sats" BIGINT NOT NULL CHECK ("amount_sats" > 0),
  "max_fee_sats" BIGINT NOT NULL CHECK ("max_fee_sats" >= 0),
  "evm_block_number" BIGINT NOT NULL,
  "evm_block_hash" BYTEA NOT NULL CHECK (length("evm_block_hash") = 32),
  "evm_tx_hash" BYTEA NOT NULL CHECK (length("evm_tx_hash") = 32),
  "log_index" INTEGER NOT NULL,
  "event_id" TEXT NOT NULL UNIQUE,
  "finalized_at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
