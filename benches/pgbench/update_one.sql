-- The update ceiling: what one UpdatePerson costs as raw SQL, in one transaction: read the stream's
-- version, append a PersonUpdated event shaped and sized like the service's, and upsert the whole
-- persons row (every index, the trigram GIN included), guarded by position as the service's is.
-- Each client updates only its own `per` persons (seeded by rollcall-bench before the run), so two
-- clients never race for a stream, as in the gRPC update scenario.
\set id 1000000000 + :client_id * :per + random(1, :per)
BEGIN;
SELECT COALESCE(max(sequence), 0) + 1 AS seq FROM events
 WHERE aggregate_type = 'Person' AND aggregate_id = :id::text \gset
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
VALUES ('Person', :id::text, :seq, 'PersonUpdated', '1',
        jsonb_build_object('PersonUpdated', jsonb_build_object('title', 'Title ' || :seq)),
        jsonb_build_object('correlation_id', gen_random_uuid()::text, 'source', 'grpc',
            'actor_id', '00000000-0000-4000-8000-00000000b0b0'))
RETURNING global_position AS position \gset
INSERT INTO persons AS t (id, first_name, last_name, title, company_id, about, share_type, managers,
                          custom_fields, photo, created_by, created_at, search, position, version, common_data)
VALUES (:id, 'Bench', 'update-' || :id, 'Title ' || :seq, NULL,
        'Benchmark contact created by rollcall-bench; about as long as a short CRM note.', 0, '{}', '[]', NULL,
        '00000000-0000-4000-8000-00000000b0b0', now(), 'bench update-' || :id || ' title ' || :seq, :position,
        :seq, '[]')
ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
       title = EXCLUDED.title, company_id = EXCLUDED.company_id, about = EXCLUDED.about,
       share_type = EXCLUDED.share_type, managers = EXCLUDED.managers,
       custom_fields = EXCLUDED.custom_fields, photo = EXCLUDED.photo, created_by = EXCLUDED.created_by,
       created_at = EXCLUDED.created_at, search = EXCLUDED.search, position = EXCLUDED.position,
       version = EXCLUDED.version, common_data = EXCLUDED.common_data
 WHERE t.position < EXCLUDED.position;
COMMIT;
