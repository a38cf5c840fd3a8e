DROP TABLE notifications;
ALTER TABLE agent_endpoints DROP COLUMN callback_secret_enc;
DROP INDEX turns_couple_idx;
DROP INDEX couples_persona_b_idx;
DROP INDEX couples_state_idx;
ALTER TABLE couples DROP COLUMN ended_by, DROP COLUMN ended_at, DROP COLUMN similarity, DROP COLUMN cycle_id;
DROP TABLE beats;
DROP TABLE embeddings;
