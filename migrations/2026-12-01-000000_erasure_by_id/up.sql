-- Erasure by id (issue 11 finding 1, issue 10 item 7): everything an erasure removes is
-- found through ids and indexes, never by searching text, and its cost grows with the
-- erased owner's rows, not with the tables (docs/erasure.md).

-- The couple a venue-written board line is about (`A new couple formed: … (couple N).`,
-- `Couple N has ended.`), so erasing one side removes the line by couple id. NULL for
-- lines about no couple. A couple deleted outright takes its lines with it.
ALTER TABLE board_posts ADD COLUMN couple_id BIGINT REFERENCES couples (id) ON DELETE CASCADE;

-- Lines written before this column existed: the venue wrote the couple id into its own
-- fixed templates, so it is read back once, here, from the matchmaker's lines only.
UPDATE board_posts b SET couple_id = x.couple_id
FROM (
    SELECT id,
           COALESCE(substring(body FROM '\(couple ([0-9]{1,18})\)\.$'),
                    substring(body FROM '^Couple ([0-9]{1,18}) has ended\.$'))::bigint AS couple_id
    FROM board_posts
    WHERE board = 'notifications' AND handle = 'matchmaker' AND persona_id IS NULL
) x
WHERE b.id = x.id AND x.couple_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM couples c WHERE c.id = x.couple_id);

-- Rows found by the erased owner's persona, couple and row ids.
CREATE INDEX board_posts_couple_idx ON board_posts (couple_id);
CREATE INDEX board_posts_persona_idx ON board_posts (persona_id);
CREATE INDEX turns_author_persona_idx ON turns (author_persona_id);
CREATE INDEX reports_target_idx ON reports (target_type, target_id);
CREATE INDEX chaperone_log_target_idx ON chaperone_log (target_type, target_id);
CREATE INDEX events_owner_idx ON events ((data -> 'ownerId'));
CREATE INDEX events_owners_idx ON events USING gin ((data -> 'owners') jsonb_path_ops);

-- The referencing side of foreign keys whose parent an erasure deletes: without these,
-- every deleted parent row makes Postgres scan the child table.
CREATE INDEX agent_endpoints_persona_idx ON agent_endpoints (persona_id);
CREATE INDEX notifications_endpoint_idx ON notifications (endpoint_id);
CREATE INDEX notifications_owner_idx ON notifications (owner_id);
CREATE INDEX orders_owner_idx ON orders (owner_id);
CREATE INDEX orders_couple_idx ON orders (couple_id);
CREATE INDEX couples_ended_by_idx ON couples (ended_by);
CREATE INDEX invites_owner_idx ON invites (owner_id);
