-- Groups (departments): one row per live group, with its members, and the rebuild functions now
-- covering it. Membership lives on the group's stream (src/domain/group), so the members are a column of
-- the group's row: a user's groups are the rows whose `members` hold them (GIN), and a deleted group's
-- row, members and all, is simply removed.

CREATE TABLE groups
(
    id         uuid        PRIMARY KEY,
    name       text        NOT NULL,
    -- the head, always one of `members`
    manager    uuid,
    -- in the order they joined
    members    uuid[]      NOT NULL,
    created_by uuid        NOT NULL,
    created_at timestamptz NOT NULL,
    position   bigint      NOT NULL,
    version    bigint      NOT NULL
);
-- A user's groups (every user wrapper's `Groups`, `people/filter?groupId=`, `group/user/{id}`).
CREATE INDEX groups_by_member ON groups USING gin (members);
-- `GET group`: by name.
CREATE INDEX groups_by_name ON groups (lower(name), id);

-- The read-model tables a rebuild replaces, in one place: a migration that adds a view redefines only
-- this function.
CREATE OR REPLACE FUNCTION rollcall_read_model_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS
$$ SELECT ARRAY['persons', 'users', 'companies', 'groups'] $$;

CREATE OR REPLACE FUNCTION rollcall_prepare_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY rollcall_read_model_tables() LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', t || '_rebuild');
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                       t || '_rebuild', t);
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id)', t || '_rebuild', t || '_pkey_rebuild');
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION rollcall_index_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    t   text;
    idx record;
BEGIN
    FOREACH t IN ARRAY rollcall_read_model_tables() LOOP
        FOR idx IN SELECT pg_get_indexdef(i.indexrelid) AS def
                     FROM pg_index i
                    WHERE i.indrelid = to_regclass(t) AND NOT i.indisprimary LOOP
            EXECUTE regexp_replace(idx.def, '^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) ',
                                   'CREATE \1INDEX \2_rebuild ON \3_rebuild ');
        END LOOP;
        EXECUTE format('ANALYZE %I', t || '_rebuild');
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION rollcall_swap_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    t   text;
    idx record;
BEGIN
    FOREACH t IN ARRAY rollcall_read_model_tables() LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_replaced');
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_rebuild', t);
        EXECUTE format('DROP TABLE %I', t || '_replaced');
        FOR idx IN SELECT c.relname AS name
                     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    WHERE i.indrelid = to_regclass(t) LOOP
            IF right(idx.name, 8) = '_rebuild' THEN
                EXECUTE format('ALTER INDEX %I RENAME TO %I', idx.name, left(idx.name, -8));
            END IF;
        END LOOP;
    END LOOP;
END
$$;
