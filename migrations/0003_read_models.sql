-- Read models, written only by the catch-up projector. Each row records the global position of the last
-- event applied to it, and every write is guarded by it, so replaying is always safe.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per follower of the event store. The cursor is the pair (transaction_id, global_position).
CREATE TABLE projector_checkpoints
(
    name            text        PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT '0',
    global_position bigint      NOT NULL DEFAULT 0,
    events_applied  bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO projector_checkpoints (name) VALUES ('read_models'), ('nats_events');

CREATE TABLE persons
(
    id            bigint      PRIMARY KEY,
    first_name    text        NOT NULL,
    last_name     text        NOT NULL,
    title         text,
    company_id    bigint,
    about         text        NOT NULL,
    share_type    smallint    NOT NULL,
    managers      uuid[]      NOT NULL,
    custom_fields jsonb       NOT NULL,
    photo         jsonb,
    created_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL,
    -- lower-cased "first last title": what filterValue searches (trigram index).
    search        text        NOT NULL,
    position      bigint      NOT NULL
);
CREATE INDEX persons_by_created ON persons (created_at, id);
CREATE INDEX persons_by_first_name ON persons (lower(first_name), id);
CREATE INDEX persons_by_last_name ON persons (lower(last_name), id);
CREATE INDEX persons_by_display_name ON persons (lower(first_name || ' ' || last_name), id);
CREATE INDEX persons_by_company ON persons (company_id) WHERE company_id IS NOT NULL;
CREATE INDEX persons_search ON persons USING gin (search gin_trgm_ops);

CREATE TABLE users
(
    id                uuid        PRIMARY KEY,
    user_name         text        NOT NULL,
    email             text        NOT NULL,
    first_name        text        NOT NULL,
    last_name         text        NOT NULL,
    is_visitor        boolean     NOT NULL,
    is_admin          boolean     NOT NULL,
    is_owner          boolean     NOT NULL,
    department        uuid[]      NOT NULL,
    title             text,
    location          text,
    sex               text,
    birthday          timestamptz,
    works_from        timestamptz NOT NULL,
    notes             text,
    contacts          jsonb       NOT NULL,
    avatar_url        text,
    lead              uuid,
    status            smallint    NOT NULL,
    activation_status smallint    NOT NULL,
    created_by        uuid,
    created_at        timestamptz NOT NULL,
    -- lower-cased "first last username email": what filterValue searches (trigram index).
    search            text        NOT NULL,
    position          bigint      NOT NULL
);
CREATE INDEX users_by_user_name ON users (lower(user_name));
CREATE INDEX users_by_email ON users (lower(email));
CREATE INDEX users_by_first_name ON users (lower(first_name), id);
CREATE INDEX users_by_last_name ON users (lower(last_name), id);
CREATE INDEX users_by_created ON users (created_at, id);
CREATE INDEX users_search ON users USING gin (search gin_trgm_ops);
