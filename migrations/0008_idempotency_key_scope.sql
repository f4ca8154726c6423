-- Idempotency keys belong to the actor who sent them (issue 14): a key is (actor_id, key), so one
-- user's key can never make another user's command fail or replay it.
ALTER TABLE idempotency_keys ADD COLUMN actor_id uuid;

-- Existing keys take the actor recorded in the metadata of the event their request created.
UPDATE idempotency_keys k
   SET actor_id = (e.metadata ->> 'actor_id')::uuid
  FROM (VALUES ('crm.person.create', 'Person'),
               ('crm.company.create', 'Company'),
               ('people.user.create', 'User')) AS c (command, aggregate_type),
       events e
 WHERE c.command = k.command
   AND e.aggregate_type = c.aggregate_type
   AND e.aggregate_id = k.aggregate_id
   AND e.sequence = 1
   AND e.metadata ->> 'actor_id' IS NOT NULL;

-- A key whose request never created anything (a crash or a rejection) goes to the nil actor: a retry
-- then starts afresh, which is safe because nothing was created under it.
UPDATE idempotency_keys SET actor_id = '00000000-0000-0000-0000-000000000000' WHERE actor_id IS NULL;

ALTER TABLE idempotency_keys
    ALTER COLUMN actor_id SET NOT NULL,
    DROP CONSTRAINT idempotency_keys_pkey,
    ADD PRIMARY KEY (actor_id, key);
