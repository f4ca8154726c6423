-- Contact photos, content-addressed: events hold a PhotoRef (sha256, type, size), never the bytes.
-- Rows are immutable; the same bytes uploaded twice are stored once.
CREATE TABLE photos (
    sha256       text PRIMARY KEY,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    bytes        bytea NOT NULL,
    created_at   timestamptz DEFAULT now()
);
