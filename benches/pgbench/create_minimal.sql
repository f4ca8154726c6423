-- The minimal ceiling (issue 18, point 4): what a create costs with the least schema an event-sourced
-- create needs, run with `-M prepared`: one event row (identity key, json payload of the same size)
-- and one typed row (primary key only), in one statement, so one round trip and one commit. The
-- tables (`minimal_events`, `minimal_persons`) are made by the bench in the ceiling's scratch
-- database: no other index, no trigger, no sequence round trip. Compared with create_one.sql, the
-- difference is rollcall's schema: jsonb payloads, the text stream key, the feed's commit-order index,
-- the secondary indexes on persons (the trigram GIN among them), the claim trigger. (No `:` may appear
-- in the SQL text: pgbench's prepared mode takes `:name` for a variable.)
WITH appended AS (
    INSERT INTO minimal_events (event_type, payload)
    VALUES ('PersonCreated',
            json_build_object('PersonCreated', json_build_object(
                'first_name', 'Bench', 'last_name', 'ceiling', 'title', 'Programmer',
                'about', 'Benchmark contact created by rollcall-bench; about as long as a short CRM note.',
                'share_type', 'None', 'managers', '[]'::json, 'custom_fields', '[]'::json,
                'created_by', '00000000-0000-4000-8000-00000000b0b0',
                'created_at', now())))
    RETURNING id
)
INSERT INTO minimal_persons (id, first_name, last_name, title, about, share_type, created_by, created_at)
SELECT id, 'Bench', 'ceiling-' || id, 'Programmer',
       'Benchmark contact created by rollcall-bench; about as long as a short CRM note.', 0,
       '00000000-0000-4000-8000-00000000b0b0', now()
  FROM appended;
