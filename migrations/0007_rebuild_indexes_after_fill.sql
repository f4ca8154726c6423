-- A rebuild fills shadow tables that carry only their primary key, and builds their other indexes once
-- the rows are in: a bulk index build is several times cheaper than maintaining every index (the
-- trigram GIN indexes above all) row by row. The definitions are copied from the live tables, so they
-- stay in one place (the migrations that create the live tables), and take the live names at the swap.

CREATE OR REPLACE FUNCTION rollcall_prepare_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['persons', 'users', 'companies'] LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I', t || '_rebuild');
        EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)',
                       t || '_rebuild', t);
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id)', t || '_rebuild', t || '_pkey_rebuild');
    END LOOP;
END
$$;

-- Called once the shadow tables are filled, before the final catch-up and swap.
CREATE FUNCTION rollcall_index_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    t   text;
    idx record;
BEGIN
    FOREACH t IN ARRAY ARRAY['persons', 'users', 'companies'] LOOP
        FOR idx IN SELECT pg_get_indexdef(i.indexrelid) AS def
                     FROM pg_index i
                    WHERE i.indrelid = to_regclass(t) AND NOT i.indisprimary LOOP
            -- "CREATE INDEX persons_by_created ON public.persons USING …" → "… persons_by_created_rebuild
            -- ON public.persons_rebuild USING …"
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
    FOREACH t IN ARRAY ARRAY['persons', 'users', 'companies'] LOOP
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t, t || '_replaced');
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_rebuild', t);
        EXECUTE format('DROP TABLE %I', t || '_replaced');
        -- The replaced table's indexes are gone with it: their names are free again.
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
