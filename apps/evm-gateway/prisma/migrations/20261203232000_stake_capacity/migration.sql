-- The newest stake.capacity the gateway took (its seq only grows), so a restart neither reapplies an older capacity
-- nor skips the one it had (stake/held-deposits.ts CapacityViewStore).
CREATE TABLE stake_capacity (
    id                   smallint    PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    seq                  bigint      NOT NULL CHECK (seq > 0),
    status               text        NOT NULL CHECK (status IN ('open', 'frozen')),
    stake_value_sats     bigint      CHECK (stake_value_sats >= 0),
    collateral_ratio_bps integer     NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
