-- The matchmaker at scale (issue 10): the dating doc is the matching profile, screened by
-- the chaperone like a persona's heart; each beat records what it did and how long each
-- stage took.

-- The chaperone's verdict on a doc version. Only an `allowed` version is matched on; a
-- `held` one is screened again by the next beat. Versions stored before this migration
-- were never screened: they start `held`, so the next beat screens them.
ALTER TABLE heart_files
    ADD COLUMN status TEXT NOT NULL DEFAULT 'held'
        CHECK (status IN ('allowed', 'held', 'denied')),
    ADD COLUMN reason TEXT NOT NULL DEFAULT 'awaiting screening';
CREATE INDEX heart_files_held_idx ON heart_files (id) WHERE status = 'held';

ALTER TABLE beats
    ADD COLUMN semantic    BOOLEAN NOT NULL DEFAULT TRUE,
    ADD COLUMN eligible    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN embedded    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN embed_failed INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN skipped     INTEGER NOT NULL DEFAULT 0,
    -- stage name → milliseconds, in the order the stages ran
    ADD COLUMN stages      JSONB NOT NULL DEFAULT '[]'::jsonb;
CREATE INDEX beats_started_idx ON beats (started_at DESC);

-- The eligibility query: couples of a persona in either seat, by state.
CREATE INDEX couples_persona_a_state_idx ON couples (persona_a, state);
CREATE INDEX couples_persona_b_state_idx ON couples (persona_b, state);
CREATE INDEX agent_endpoints_active_owner_idx ON agent_endpoints (owner_id) WHERE status = 'active';
