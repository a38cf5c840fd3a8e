-- Escalation (issue 5): intro consents, one-time invites, sign-in bindings, identity
-- checks and the webhook deliveries already applied. No raw identity data is stored:
-- of a check, only the provider's session id, its status and one age bit are kept.

-- One consent per owner per couple (idempotent).
CREATE TABLE intro_consents (
    couple_id   BIGINT NOT NULL REFERENCES couples (id) ON DELETE CASCADE,
    owner_id    BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (couple_id, owner_id)
);
CREATE INDEX intro_consents_owner_idx ON intro_consents (owner_id);

-- One single-use invite per owner per couple. Looked up by the SHA-256 of the token only;
-- the token itself is kept sealed (AES-256-GCM, nonce ‖ ct ‖ tag) so an agent asking again
-- while it is unused gets the same link back, and is wiped once the invite is claimed.
CREATE TABLE invites (
    id             BIGSERIAL PRIMARY KEY,
    couple_id      BIGINT NOT NULL REFERENCES couples (id) ON DELETE CASCADE,
    owner_id       BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    token_hash     BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    token_enc      BYTEA,
    created_at     TIMESTAMPTZ NOT NULL,
    claimed_at     TIMESTAMPTZ,
    UNIQUE (couple_id, owner_id),
    CHECK ((claimed_at IS NULL) = (token_enc IS NOT NULL))
);

-- The sign-in (Privy user id, `did:privy:…`) an owner was claimed with; fixed once set.
CREATE TABLE owner_logins (
    owner_id       BIGINT PRIMARY KEY REFERENCES owners (id) ON DELETE CASCADE,
    login_user     TEXT NOT NULL,
    claimed_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX owner_logins_user_idx ON owner_logins (login_user);

-- Identity checks (Didit sessions), keyed by the provider's session id.
CREATE TABLE identity_checks (
    session_id     TEXT PRIMARY KEY,
    owner_id       BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    status         TEXT NOT NULL,
    verified       BOOLEAN NOT NULL DEFAULT FALSE,
    age_over_18    BOOLEAN,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    verified_at    TIMESTAMPTZ,
    CHECK (NOT verified OR age_over_18)
);
CREATE INDEX identity_checks_owner_idx ON identity_checks (owner_id);

-- Webhook deliveries already applied: a retry or replay of the same (session, type,
-- status, effect) changes nothing. `effect` is what the venue made of it (verify, revoke,
-- record), so an `Approved` that lacked proof of age does not mask a later one that has it.
CREATE TABLE identity_webhooks (
    session_id     TEXT NOT NULL REFERENCES identity_checks (session_id) ON DELETE CASCADE,
    webhook_type   TEXT NOT NULL,
    status         TEXT NOT NULL,
    effect         TEXT NOT NULL CHECK (effect IN ('verify', 'revoke', 'record')),
    received_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (session_id, webhook_type, status, effect)
);
