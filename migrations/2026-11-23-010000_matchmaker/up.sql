-- Matchmaker: cached embeddings, beats, couple endings, callback secrets, the durable
-- notification outbox.

-- One vector per (heart content, model): a beat embeds only new or changed hearts.
CREATE TABLE embeddings (
    heart_hash  TEXT NOT NULL,
    model       TEXT NOT NULL,
    dims        INTEGER NOT NULL CHECK (dims > 0),
    -- little-endian f32 × dims
    vector      BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (heart_hash, model)
);

CREATE TABLE beats (
    id          UUID PRIMARY KEY,
    trigger     TEXT NOT NULL,
    pairs       INTEGER NOT NULL,
    created     INTEGER NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE couples
    ADD COLUMN cycle_id UUID,
    ADD COLUMN similarity REAL,
    ADD COLUMN ended_at TIMESTAMPTZ,
    ADD COLUMN ended_by BIGINT REFERENCES owners (id) ON DELETE SET NULL;
CREATE INDEX couples_state_idx ON couples (state);
CREATE INDEX couples_persona_b_idx ON couples (persona_b);
CREATE INDEX turns_couple_idx ON turns (couple_id, id);

-- AES-256-GCM sealed per-endpoint secret for signing notifications (nonce ‖ ct ‖ tag).
ALTER TABLE agent_endpoints ADD COLUMN callback_secret_enc BYTEA;

CREATE TABLE notifications (
    id               BIGSERIAL PRIMARY KEY,
    endpoint_id      BIGINT NOT NULL REFERENCES agent_endpoints (id) ON DELETE CASCADE,
    owner_id         BIGINT REFERENCES owners (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL,
    payload          JSONB NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    delivered_at     TIMESTAMPTZ,
    failed_at        TIMESTAMPTZ,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
