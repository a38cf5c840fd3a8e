-- pgbench: the statements of one whole intake path (heart-file, agent, verify, persona),
-- each request's statements in its own transaction as the venue runs them.
BEGIN;
INSERT INTO owners (token_hash, created_at)
  VALUES (sha256(gen_random_uuid()::text::bytea), now()) RETURNING id AS owner \gset
INSERT INTO heart_files (owner_id, version, home_market, active_market, research_optin, age_attested,
                         contact_ref_enc, heart, heart_hash, created_at)
  VALUES (:owner, 1, 'bay_area', 'remote', 'none', true, decode(repeat('ab', 42), 'hex'),
          '{"about":"I bake sourdough and read old science fiction on the porch."}', md5(random()::text), now());
COMMIT;
SELECT id FROM owners WHERE token_hash = (SELECT token_hash FROM owners WHERE id = :owner);
INSERT INTO agent_endpoints (owner_id, runtime, challenge_nonce, created_at)
  VALUES (:owner, 'claude', 'ishtar:' || gen_random_uuid() || ':0', now()) RETURNING id AS ep \gset
SELECT id, owner_id, status, callback_url, key_address, challenge_nonce, verified_via FROM agent_endpoints WHERE id = :ep;
UPDATE agent_endpoints SET status = 'active', verified_via = 'callback', verified_at = now() WHERE id = :ep AND status = 'pending';
SELECT id FROM owners WHERE token_hash = (SELECT token_hash FROM owners WHERE id = :owner);
SELECT id, version, home_market, active_market FROM heart_files WHERE owner_id = :owner ORDER BY version DESC LIMIT 1;
INSERT INTO personas (owner_id, handle, model, heart, heart_hash, home_market, active_market, status, reason, created_at)
  VALUES (:owner, 'pg' || gen_random_uuid(), 'bench', '{"about":"x"}', md5(random()::text), 'bay_area', 'remote', 'pending', 'allowed', now())
  RETURNING id AS pid \gset
INSERT INTO chaperone_log (surface, target_type, target_id, verdict, reason, created_at)
  VALUES ('heart', 'persona', :pid, 'allow', 'allowed', now());
BEGIN;
SELECT status FROM personas WHERE id = :pid FOR UPDATE;
UPDATE capacity SET admitted = admitted + 1 WHERE id = 1 AND admitted < 100000000 RETURNING admitted;
UPDATE personas SET status = 'admitted', reason = 'admitted', admitted_at = now() WHERE id = :pid;
COMMIT;
