-- Payments: the compatibility report's orders, receipts (kept for accounting) and the
-- buyback ledger.

CREATE TABLE orders (
    -- cr:<ownerId>:<coupleId|0>:<utcDay>
    id          TEXT PRIMARY KEY,
    owner_id    BIGINT REFERENCES owners (id) ON DELETE SET NULL,
    couple_id   BIGINT REFERENCES couples (id) ON DELETE SET NULL,
    sku         TEXT NOT NULL DEFAULT 'compatibility_report',
    -- base units of the asset (USDC: 6 decimals)
    amount      BIGINT NOT NULL CHECK (amount > 0),
    status      TEXT NOT NULL CHECK (status IN ('challenged', 'settling', 'failed', 'fulfilled')),
    reason      TEXT,
    -- the delivered report, kept so a retry is served without paying again
    report      TEXT,
    claimed_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX orders_status_idx ON orders (status);

-- One receipt per order; kept for accounting after erasure (the order's owner is nulled).
CREATE TABLE receipts (
    id           BIGSERIAL PRIMARY KEY,
    order_id     TEXT NOT NULL UNIQUE,
    payer        TEXT NOT NULL,
    transaction  TEXT NOT NULL,
    network      TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    -- the EIP-3009 authorization nonce: one authorization pays once
    auth_nonce   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE buyback_ledger (
    id          BIGSERIAL PRIMARY KEY,
    receipt_id  BIGINT NOT NULL UNIQUE REFERENCES receipts (id),
    amount      BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
