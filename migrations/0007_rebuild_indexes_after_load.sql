-- Rebuilding faster: the shadow tables are filled with only their primary keys (which the position-guarded
-- upserts need), and their other indexes are built once, after the bulk load, by copying the definitions
-- of the live tables' indexes (so an index added to a live table later is rebuilt too).

CREATE OR REPLACE FUNCTION rollcall_prepare_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
BEGIN
    DROP TABLE IF EXISTS persons_rebuild;
    DROP TABLE IF EXISTS users_rebuild;
    DROP TABLE IF EXISTS companies_rebuild;
    CREATE TABLE persons_rebuild (LIKE persons INCLUDING ALL EXCLUDING INDEXES);
    CREATE TABLE users_rebuild (LIKE users INCLUDING ALL EXCLUDING INDEXES);
    CREATE TABLE companies_rebuild (LIKE companies INCLUDING ALL EXCLUDING INDEXES);
    ALTER TABLE persons_rebuild ADD PRIMARY KEY (id);
    ALTER TABLE users_rebuild ADD PRIMARY KEY (id);
    ALTER TABLE companies_rebuild ADD PRIMARY KEY (id);
END
$$;

-- Every index of `live` but its primary key, created (with a generated name) on `shadow`.
CREATE FUNCTION rollcall_copy_indexes(live regclass, shadow regclass) RETURNS void LANGUAGE plpgsql AS
$$
DECLARE
    definition text;
BEGIN
    FOR definition IN
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = live AND NOT i.indisprimary
    LOOP
        EXECUTE regexp_replace(definition, '^(CREATE (UNIQUE )?INDEX) \S+ ON (ONLY )?\S+ USING',
                               '\1 ON ' || shadow::text || ' USING');
    END LOOP;
END
$$;

-- More memory than the default 64 MB makes the trigram (GIN) builds markedly faster.
CREATE FUNCTION rollcall_index_rebuild() RETURNS void LANGUAGE plpgsql SET maintenance_work_mem = '256MB' AS
$$
BEGIN
    PERFORM rollcall_copy_indexes('persons', 'persons_rebuild');
    PERFORM rollcall_copy_indexes('users', 'users_rebuild');
    PERFORM rollcall_copy_indexes('companies', 'companies_rebuild');
END
$$;
