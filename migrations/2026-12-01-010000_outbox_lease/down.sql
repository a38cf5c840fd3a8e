DROP TABLE notification_endpoints;
DROP INDEX notifications_claimed_idx;
DROP SEQUENCE notification_claims;
ALTER TABLE notifications
    DROP COLUMN claimed_until,
    DROP COLUMN claim_token;
