-- Users that come and go (issue 17): the read model shows when a user was terminated, and the email
-- and user-name claims (0002) follow a user's email changes and end with the user, in the same
-- transaction as the event that says so.

ALTER TABLE users
    ADD COLUMN terminated timestamptz;

-- UserEmailChanged confirms the claim on the new address, which the command took before it was
-- decided, and frees the old one; it fails (SQLSTATE RC409) if the new claim is no longer the user's
-- (taken over after the grace period), so two users can never hold one address. UserDeleted frees
-- every claim of the user, so their email and user name can be given to a new user at once.
CREATE FUNCTION follow_user_claims() RETURNS trigger LANGUAGE plpgsql AS
$$
DECLARE
    changed jsonb;
    holder  uuid := NEW.aggregate_id::uuid;
BEGIN
    IF NEW.event_type = 'UserEmailChanged' THEN
        changed := NEW.payload -> 'UserEmailChanged';
        UPDATE user_email_claims c SET confirmed = true
         WHERE c.email_key = lower(changed ->> 'to') AND c.user_id = holder;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'email claim not held by user %', NEW.aggregate_id USING ERRCODE = 'RC409';
        END IF;
        IF lower(changed ->> 'from') <> lower(changed ->> 'to') THEN
            DELETE FROM user_email_claims c
             WHERE c.email_key = lower(changed ->> 'from') AND c.user_id = holder;
        END IF;
    ELSIF NEW.event_type = 'UserDeleted' THEN
        DELETE FROM user_email_claims c WHERE c.user_id = holder;
        DELETE FROM user_name_claims c WHERE c.user_id = holder;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER events_follow_user_claims
    BEFORE INSERT ON events
    FOR EACH ROW
    WHEN (NEW.aggregate_type = 'User' AND NEW.event_type IN ('UserEmailChanged', 'UserDeleted'))
EXECUTE FUNCTION follow_user_claims();
