-- Events per owner (issue 12, docs/notifications.md "Events"): every event the venue tells
-- an owner's agents about is stored once here, with its id, and served both by callback
-- delivery (`notifications.event_id` points here; the body is the same, `id` included) and by
-- polling (`GET /api/owners/me/events?since=<id>`). Kept for the retention window.
CREATE TABLE owner_events (
    -- the event id agents see; assigned in commit order (writers hold a transaction-scoped
    -- advisory lock while they insert), so a `since` cursor never skips an event
    id          BIGSERIAL PRIMARY KEY,
    -- whose feed it is in
    owner_id    BIGINT NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
    -- the other owner whose words the body quotes (a partner's profile, a turn's author):
    -- erasing that owner deletes the event too (docs/erasure.md)
    about_owner BIGINT REFERENCES owners (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    -- the body as delivered and polled, `id` included
    payload     JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
-- The feed: one owner's events in id order.
CREATE INDEX owner_events_owner_idx ON owner_events (owner_id, id);
-- Erasure by the quoted owner's id.
CREATE INDEX owner_events_about_idx ON owner_events (about_owner) WHERE about_owner IS NOT NULL;
-- The retention purge.
CREATE INDEX owner_events_created_idx ON owner_events (created_at);

-- A delivery of an event (NULL for rows queued before this migration).
ALTER TABLE notifications
    ADD COLUMN event_id BIGINT REFERENCES owner_events (id) ON DELETE CASCADE;
CREATE INDEX notifications_event_idx ON notifications (event_id);
