-- Identity and set validation that events cannot carry: integer CRM contact ids, idempotency keys,
-- and claims that keep emails and user names unique (case-insensitively) across instances.

-- CRM persons and companies share one integer id space, as in ONLYOFFICE. Gaps are fine.
CREATE SEQUENCE crm_contact_id_seq AS bigint START 1;

-- One row per idempotency key (Idempotency-Key, request_id, Nats-Msg-Id). `fingerprint` is a keyed
-- hash of the command and its actor, so a reused key with a different request is told apart.
CREATE TABLE idempotency_keys
(
    key          text        PRIMARY KEY,
    command      text        NOT NULL,
    fingerprint  text        NOT NULL,
    aggregate_id text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

-- A claim is taken before a user is decided. It is confirmed by the trigger below, in the same
-- transaction that appends UserCreated; an unconfirmed claim older than a grace period belongs to
-- a command that died or was rejected, and can be taken over.
CREATE TABLE user_email_claims
(
    email_key  text        PRIMARY KEY,
    user_id    uuid        NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    confirmed  boolean     NOT NULL DEFAULT false
);
CREATE INDEX user_email_claims_user ON user_email_claims (user_id);

CREATE TABLE user_name_claims
(
    name_key   text        PRIMARY KEY,
    user_id    uuid        NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    confirmed  boolean     NOT NULL DEFAULT false
);
CREATE INDEX user_name_claims_user ON user_name_claims (user_id);

-- Appending UserCreated confirms both claims and fails (SQLSTATE RC409) if either is no longer held by
-- the user: a takeover and a late append serialize on the claim's row lock, so a user can never be
-- created with an email or name that another user holds.
CREATE FUNCTION confirm_user_claims() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
    created jsonb := NEW.payload -> 'UserCreated';
BEGIN
    UPDATE user_email_claims SET confirmed = true
     WHERE email_key = lower(created ->> 'email') AND user_id = NEW.aggregate_id::uuid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'email claim not held by user %', NEW.aggregate_id USING ERRCODE = 'RC409';
    END IF;
    UPDATE user_name_claims SET confirmed = true
     WHERE name_key = lower(created ->> 'user_name') AND user_id = NEW.aggregate_id::uuid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user name claim not held by user %', NEW.aggregate_id USING ERRCODE = 'RC409';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER events_confirm_user_claims
    BEFORE INSERT ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'User' AND NEW.event_type = 'UserCreated')
EXECUTE FUNCTION confirm_user_claims();
