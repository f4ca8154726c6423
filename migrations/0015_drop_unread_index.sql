-- An index no query reads, paid by every keyed create (issue 18: every index on the write path is
-- justified by the query it serves, or removed). Keys are found by (actor_id, key) only, and nothing
-- expires them by age; an expiry sweep would bring its own index with it.
DROP INDEX IF EXISTS idempotency_keys_created_at;
