-- History of the Bitcoin backing of minted deposits: every reorg out and every re-confirmation, in order.
-- evm_mint_reorg keeps one row per deposit that is unbacked now; a re-confirmation deletes it and adds a row here.
CREATE TABLE evm_mint_backing (
    seq            bigserial   PRIMARY KEY,
    deposit_id     text        NOT NULL REFERENCES evm_mint (deposit_id),
    status         text        NOT NULL CHECK (status IN ('reorged', 'reconfirmed')),
    btc_block_hash text        CHECK (btc_block_hash ~ '^[0-9a-f]{64}$'),
    detail         text        NOT NULL,
    recorded_at    timestamptz NOT NULL
);
CREATE INDEX evm_mint_backing_deposit ON evm_mint_backing (deposit_id, seq);
