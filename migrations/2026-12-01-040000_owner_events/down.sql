DROP INDEX notifications_event_idx;
ALTER TABLE notifications DROP COLUMN event_id;
DROP TABLE owner_events;
