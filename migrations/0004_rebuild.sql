-- Rebuilding the read models while serving: `rollcall projections rebuild` fills shadow copies of the
-- tables from the event store, then swaps them in within the transaction that holds the projector's
-- checkpoint. The DDL lives here so the Rust code only calls these functions.

CREATE FUNCTION rollcall_prepare_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
BEGIN
    DROP TABLE IF EXISTS persons_rebuild;
    DROP TABLE IF EXISTS users_rebuild;
    CREATE TABLE persons_rebuild (LIKE persons INCLUDING ALL);
    CREATE TABLE users_rebuild (LIKE users INCLUDING ALL);
END
$$;

CREATE FUNCTION rollcall_swap_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
BEGIN
    ALTER TABLE persons RENAME TO persons_replaced;
    ALTER TABLE persons_rebuild RENAME TO persons;
    DROP TABLE persons_replaced;
    ALTER TABLE users RENAME TO users_replaced;
    ALTER TABLE users_rebuild RENAME TO users;
    DROP TABLE users_replaced;
END
$$;
