-- Dates are kept to the microsecond everywhere now (src/domain/datetime.rs): values are truncated
-- where they are made, and events written earlier with finer digits are read truncated. PostgreSQL
-- had *rounded* those digits when the projector stored them (`.1234567` became `.123457`, and
-- `9999-12-31T23:59:59.9999999Z` the year 10000), so re-derive the users' client-given dates from
-- their events, truncated, so that the read model and the events agree without a rebuild.
-- (`created_at` was always truncated by the application; persons and companies have no other dates.)

UPDATE users u
SET birthday   = regexp_replace(e.payload -> 'UserCreated' ->> 'birthday', '(\.\d{6})\d+Z$', '\1Z')::timestamptz,
    works_from = regexp_replace(e.payload -> 'UserCreated' ->> 'works_from', '(\.\d{6})\d+Z$', '\1Z')::timestamptz
FROM events e
WHERE e.aggregate_type = 'User'
  AND e.event_type = 'UserCreated'
  AND e.aggregate_id = u.id::text
  AND (e.payload -> 'UserCreated' ->> 'birthday' ~ '\.\d{7,}Z$'
    OR e.payload -> 'UserCreated' ->> 'works_from' ~ '\.\d{7,}Z$');
