-- Notification delivery (issue 11 finding 6, docs/notifications.md): a claim is a token and
-- a lease of its own (not a pushed-out next_attempt_at), only the token's holder may mark
-- the notification, and a failing endpoint is paused as a whole.

ALTER TABLE notifications
    ADD COLUMN claim_token   BIGINT,
    ADD COLUMN claimed_until TIMESTAMPTZ;

-- Claim tokens: unique across instances and claims.
CREATE SEQUENCE notification_claims;

-- Live claims, counted per endpoint at every claim.
CREATE INDEX notifications_claimed_idx ON notifications (endpoint_id)
    WHERE claimed_until IS NOT NULL AND delivered_at IS NULL AND failed_at IS NULL;

-- Per-endpoint delivery state; no row means healthy.
CREATE TABLE notification_endpoints (
    endpoint_id  BIGINT PRIMARY KEY REFERENCES agent_endpoints (id) ON DELETE CASCADE,
    -- consecutive failed deliveries (0 after any success)
    failures     INTEGER NOT NULL DEFAULT 0,
    -- nothing is sent to the endpoint before this
    paused_until TIMESTAMPTZ NOT NULL
);
