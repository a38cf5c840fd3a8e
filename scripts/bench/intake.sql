-- pgbench: the statements of one whole intake path, in the order and with the
-- transaction boundaries the venue uses (each statement is its own implicit transaction):
-- heart-file (1 statement), agent (token lookup, insert), verify (read, activate),
-- persona (token + latest doc, then persona + chaperone log + cap slot in one statement).
-- The venue writes personas that arrive together as one statement (group admission,
-- crates/ishtar-store-postgres/src/admission.rs); pgbench's clients cannot group, so each
-- path here writes its persona alone. That grouping is part of what the run compares.
WITH o AS (INSERT INTO owners (token_hash, created_at)
           VALUES (sha256(gen_random_uuid()::text::bytea), now()) RETURNING id)
INSERT INTO heart_files (owner_id, version, home_market, active_market, research_optin, age_attested,
                         contact_ref_enc, heart, heart_hash, created_at)
SELECT o.id, 1, 'bay_area', 'remote', 'none', true, decode(repeat('ab', 42), 'hex'),
       '{"about":"I bake sourdough and read old science fiction on the porch."}', md5(random()::text), now()
FROM o RETURNING owner_id AS owner \gset
SELECT id FROM owners WHERE token_hash = (SELECT token_hash FROM owners WHERE id = :owner) LIMIT 1;
INSERT INTO agent_endpoints (owner_id, runtime, challenge_nonce, created_at)
  VALUES (:owner, 'claude', 'ishtar:' || gen_random_uuid() || ':0', now()) RETURNING id AS ep \gset
SELECT id, owner_id, status, callback_url, key_address, challenge_nonce, verified_via FROM agent_endpoints WHERE id = :ep;
UPDATE agent_endpoints SET status = 'active', verified_via = 'callback', verified_at = now() WHERE id = :ep AND status = 'pending';
SELECT o.id, h.id, h.version, h.home_market, h.active_market
  FROM owners o LEFT JOIN heart_files h ON h.owner_id = o.id
  WHERE o.token_hash = (SELECT token_hash FROM owners WHERE id = :owner)
  ORDER BY h.version DESC LIMIT 1;
WITH slot AS (UPDATE capacity SET admitted = admitted + 1 WHERE id = 1 AND true AND admitted < 100000000
              RETURNING admitted),
     p AS (INSERT INTO personas (owner_id, handle, model, heart, heart_hash, redteam, home_market,
                                 active_market, status, reason, created_at, admitted_at)
           SELECT :owner, 'pg' || gen_random_uuid(), 'bench', '{"about":"x"}', md5(random()::text), false,
                  'bay_area', 'remote',
                  CASE WHEN slot.admitted IS NULL THEN 'pending' ELSE 'admitted' END,
                  CASE WHEN slot.admitted IS NULL THEN 'allowed' ELSE 'admitted' END,
                  now(), CASE WHEN slot.admitted IS NULL THEN NULL ELSE now() END
           FROM (SELECT 1) AS one LEFT JOIN slot ON true
           RETURNING id, status),
     logged AS (INSERT INTO chaperone_log (surface, target_type, target_id, verdict, reason, created_at)
                SELECT 'heart', 'persona', p.id, 'allow', 'allowed', now() FROM p)
SELECT id, status FROM p;
