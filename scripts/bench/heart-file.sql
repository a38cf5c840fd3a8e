-- pgbench: the heart-file request's one statement (a new owner and its first doc version),
-- with the same row shapes the venue writes (PgStore::create_owner).
WITH o AS (INSERT INTO owners (token_hash, created_at)
           VALUES (sha256(gen_random_uuid()::text::bytea), now()) RETURNING id)
INSERT INTO heart_files (owner_id, version, display_name, home_market, active_market, available_for,
                         research_optin, age_attested, contact_ref_enc, heart, heart_hash, created_at)
SELECT o.id, 1, NULL, 'bay_area', 'remote', NULL, 'none', true, decode(repeat('ab', 42), 'hex'),
       '{"about":"I bake sourdough and read old science fiction on the porch.","seeking":"someone kind and curious","prefs":{"self":{"gender":"woman","age":31},"seek":{"genders":["man"],"ageMin":28,"ageMax":40}}}',
       md5(random()::text), now()
FROM o RETURNING owner_id, id;
