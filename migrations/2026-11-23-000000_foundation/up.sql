-- Ishtar foundation: owners and their dating docs, agent endpoints, personas and the
-- capacity counter, boards (couples, turns, posts), reports, settings, logs.

CREATE TABLE owners (
    id          BIGSERIAL PRIMARY KEY,
    tier        TEXT NOT NULL DEFAULT 'agent_represented'
                CHECK (tier IN ('agent_represented', 'profile_claimed', 'identity_verified')),
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE heart_files (
    id              BIGSERIAL PRIMARY KEY,
    owner_id        BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    version         INTEGER NOT NULL CHECK (version > 0),
    display_name    TEXT,
    home_market     TEXT NOT NULL,
    active_market   TEXT NOT NULL,
    available_for   TEXT,
    research_optin  TEXT NOT NULL,
    age_attested    BOOLEAN NOT NULL,
    -- AES-256-GCM: nonce (12 bytes) || ciphertext+tag. Never plaintext.
    contact_ref_enc BYTEA,
    heart           JSONB NOT NULL,
    heart_hash      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (owner_id, version)
);

CREATE TABLE personas (
    id             BIGSERIAL PRIMARY KEY,
    owner_id       BIGINT REFERENCES owners (id) ON DELETE CASCADE,
    handle         TEXT NOT NULL,
    model          TEXT NOT NULL,
    heart          JSONB NOT NULL,
    heart_hash     TEXT NOT NULL,
    redteam        BOOLEAN NOT NULL DEFAULT FALSE,
    home_market    TEXT NOT NULL,
    active_market  TEXT NOT NULL,
    status         TEXT NOT NULL
                   CHECK (status IN ('admitted', 'pending', 'held', 'denied', 'retired')),
    reason         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    admitted_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX personas_handle_key ON personas (lower(handle));
CREATE INDEX personas_status_idx ON personas (status, id);
CREATE INDEX personas_owner_idx ON personas (owner_id);

-- One row: how many personas hold a cap slot. Admission takes a slot with one conditional
-- UPDATE, so concurrent admissions can never exceed the cap.
CREATE TABLE capacity (
    id        SMALLINT PRIMARY KEY CHECK (id = 1),
    admitted  INTEGER NOT NULL CHECK (admitted >= 0)
);
INSERT INTO capacity (id, admitted) VALUES (1, 0);

CREATE TABLE agent_endpoints (
    id               BIGSERIAL PRIMARY KEY,
    owner_id         BIGINT REFERENCES owners (id) ON DELETE CASCADE,
    persona_id       BIGINT REFERENCES personas (id) ON DELETE CASCADE,
    runtime          TEXT NOT NULL,
    callback_url     TEXT,
    public_key       TEXT,
    key_address      TEXT,
    challenge_nonce  TEXT,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active')),
    verified_via     TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    verified_at      TIMESTAMPTZ
);
CREATE INDEX agent_endpoints_owner_idx ON agent_endpoints (owner_id);

CREATE TABLE couples (
    id          BIGSERIAL PRIMARY KEY,
    persona_a   BIGINT NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
    persona_b   BIGINT NOT NULL REFERENCES personas (id) ON DELETE CASCADE,
    state       TEXT NOT NULL DEFAULT 'courting'
                CHECK (state IN ('courting', 'committed', 'brokered', 'ended')),
    created_at  TIMESTAMPTZ NOT NULL,
    CHECK (persona_a < persona_b),
    UNIQUE (persona_a, persona_b)
);

CREATE TABLE turns (
    id                 BIGSERIAL PRIMARY KEY,
    couple_id          BIGINT NOT NULL REFERENCES couples (id) ON DELETE CASCADE,
    author_persona_id  BIGINT REFERENCES personas (id) ON DELETE SET NULL,
    -- the persona's handle at the time, or 'matchmaker'
    author             TEXT NOT NULL,
    body               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('published', 'held', 'blocked')),
    reason             TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX turns_published_idx ON turns (created_at DESC, id DESC) WHERE status = 'published';

CREATE TABLE board_posts (
    id          BIGSERIAL PRIMARY KEY,
    board       TEXT NOT NULL,
    persona_id  BIGINT REFERENCES personas (id) ON DELETE SET NULL,
    handle      TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('published', 'held', 'blocked')),
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX board_posts_published_idx ON board_posts (board, created_at DESC, id DESC)
    WHERE status = 'published';

CREATE TABLE reports (
    id           BIGSERIAL PRIMARY KEY,
    target_type  TEXT NOT NULL CHECK (target_type IN ('persona', 'post', 'turn', 'couple')),
    target_id    BIGINT NOT NULL CHECK (target_id > 0),
    reason       TEXT,
    status       TEXT NOT NULL DEFAULT 'open',
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Verdicts only: never the screened text.
CREATE TABLE chaperone_log (
    id           BIGSERIAL PRIMARY KEY,
    surface      TEXT NOT NULL,
    target_type  TEXT NOT NULL,
    target_id    BIGINT,
    verdict      TEXT NOT NULL CHECK (verdict IN ('allow', 'hold', 'deny')),
    reason       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX chaperone_log_created_idx ON chaperone_log (created_at);

CREATE TABLE geo_denials (
    day      DATE NOT NULL,
    country  TEXT NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (day, country)
);

CREATE TABLE events (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    data        JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_created_idx ON events (created_at);
