-- The single-transaction ceiling: what one CreatePerson costs as raw SQL. An id from the contact
-- sequence (the service takes it before its transaction too), then one transaction that appends a
-- PersonCreated event shaped and sized like the service's and upserts the persons row (every index,
-- the trigram GIN included), guarded by position as the projector's upsert is.
SELECT nextval('crm_contact_id_seq') AS id \gset
BEGIN;
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
VALUES ('Person', :id::text, 1, 'PersonCreated', '1',
        jsonb_build_object('PersonCreated', jsonb_build_object(
            'id', :id, 'first_name', 'Bench', 'last_name', 'ceiling-' || :id, 'title', 'Programmer',
            'company_id', NULL, 'about', 'Benchmark contact created by rollcall-bench; about as long as a short CRM note.',
            'share_type', 'None', 'managers', '[]'::jsonb, 'custom_fields', '[]'::jsonb, 'photo', NULL,
            'created_by', '00000000-0000-4000-8000-00000000b0b0',
            'created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))),
        jsonb_build_object('correlation_id', gen_random_uuid()::text, 'source', 'grpc',
            'actor_id', '00000000-0000-4000-8000-00000000b0b0'))
RETURNING global_position AS position \gset
INSERT INTO persons AS t (id, first_name, last_name, title, company_id, about, share_type, managers,
                          custom_fields, photo, created_by, created_at, search, position)
VALUES (:id, 'Bench', 'ceiling-' || :id, 'Programmer', NULL,
        'Benchmark contact created by rollcall-bench; about as long as a short CRM note.', 0, '{}', '[]', NULL,
        '00000000-0000-4000-8000-00000000b0b0', now(), 'bench ceiling-' || :id || ' programmer', :position)
ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
       title = EXCLUDED.title, company_id = EXCLUDED.company_id, about = EXCLUDED.about,
       share_type = EXCLUDED.share_type, managers = EXCLUDED.managers,
       custom_fields = EXCLUDED.custom_fields, photo = EXCLUDED.photo, created_by = EXCLUDED.created_by,
       created_at = EXCLUDED.created_at, search = EXCLUDED.search, position = EXCLUDED.position
 WHERE t.position < EXCLUDED.position;
COMMIT;
