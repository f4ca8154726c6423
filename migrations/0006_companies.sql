-- CRM companies: their read model, and rebuild functions that now cover them too.

CREATE TABLE companies
(
    id            bigint      PRIMARY KEY,
    company_name  text        NOT NULL,
    about         text        NOT NULL,
    share_type    smallint    NOT NULL,
    managers      uuid[]      NOT NULL,
    custom_fields jsonb       NOT NULL,
    photo         jsonb,
    created_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL,
    -- lower-cased company name: what filterValue searches (trigram index).
    search        text        NOT NULL,
    position      bigint      NOT NULL
);
CREATE INDEX companies_by_created ON companies (created_at, id);
CREATE INDEX companies_by_name ON companies (lower(company_name), id);
CREATE INDEX companies_search ON companies USING gin (search gin_trgm_ops);

CREATE OR REPLACE FUNCTION rollcall_prepare_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
BEGIN
    DROP TABLE IF EXISTS persons_rebuild;
    DROP TABLE IF EXISTS users_rebuild;
    DROP TABLE IF EXISTS companies_rebuild;
    CREATE TABLE persons_rebuild (LIKE persons INCLUDING ALL);
    CREATE TABLE users_rebuild (LIKE users INCLUDING ALL);
    CREATE TABLE companies_rebuild (LIKE companies INCLUDING ALL);
END
$$;

CREATE OR REPLACE FUNCTION rollcall_swap_rebuild() RETURNS void LANGUAGE plpgsql AS
$$
BEGIN
    ALTER TABLE persons RENAME TO persons_replaced;
    ALTER TABLE persons_rebuild RENAME TO persons;
    DROP TABLE persons_replaced;
    ALTER TABLE users RENAME TO users_replaced;
    ALTER TABLE users_rebuild RENAME TO users;
    DROP TABLE users_replaced;
    ALTER TABLE companies RENAME TO companies_replaced;
    ALTER TABLE companies_rebuild RENAME TO companies;
    DROP TABLE companies_replaced;
END
$$;
