DROP INDEX agent_endpoints_active_owner_idx;
DROP INDEX couples_persona_b_state_idx;
DROP INDEX couples_persona_a_state_idx;
DROP INDEX beats_started_idx;
ALTER TABLE beats DROP COLUMN stages, DROP COLUMN skipped, DROP COLUMN embed_failed,
    DROP COLUMN embedded, DROP COLUMN eligible, DROP COLUMN semantic;
DROP INDEX heart_files_held_idx;
ALTER TABLE heart_files DROP COLUMN reason, DROP COLUMN status;
