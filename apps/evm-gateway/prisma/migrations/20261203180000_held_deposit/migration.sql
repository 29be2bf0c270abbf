-- Deposits beyond capacity (the dynamic pledge): checked and confirmed, not minted, waiting in confirmation order
-- (block height, position in the block, output) until stake value / R leaves room. A row leaves when the deposit is
-- minted, reorged out or reclaimed by its owner (packages/evm capacity-gate.ts).
CREATE TABLE held_deposit (
    deposit_id   text        PRIMARY KEY,
    recipient    text        NOT NULL CHECK (recipient ~ '^0x[0-9a-fA-F]{40}$'),
    amount_sats  bigint      NOT NULL CHECK (amount_sats > 0),
    block_hash   text        NOT NULL CHECK (block_hash ~ '^[0-9a-f]{64}$'),
    block_height integer     NOT NULL CHECK (block_height >= 0),
    position     integer     NOT NULL CHECK (position >= 0),
    vout         integer     NOT NULL CHECK (vout >= 0),
    held_at      timestamptz NOT NULL
);
CREATE INDEX held_deposit_line ON held_deposit (block_height, position, vout, deposit_id);
