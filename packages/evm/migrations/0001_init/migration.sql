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
