//! The copy of a refused command republished to `P.rejected.…`: its headers (the token redacted) and
//! its payload without any password, plus `Rollcall-Error`, always small enough to be published, so a
//! rejection is never redelivered for want of a copy. Pure: the ingestion publishes what this builds.

use async_nats::HeaderMap;
use bytes::Bytes;
use prost::Message;
use serde_json::Value;

use super::codec::{
    CHANGE_EMAIL, CHANGE_PASSWORD, CREATE_COMPANY, CREATE_PERSON, CREATE_USER, DELETE_USER, SET_ADMINISTRATOR,
    SET_STATUS, SET_TYPE, UPDATE_USER,
};
use super::headers::{self, ROLLCALL_ERROR, wire_len};
use crate::proto::pb;

/// Says which fields of the payload were replaced by `[redacted]`: `Rollcall-Redacted: password`.
pub const REDACTED: &str = "Rollcall-Redacted";
/// Says why the payload was left out (it may hold a password that cannot be found, or is too large).
pub const PAYLOAD_OMITTED: &str = "Rollcall-Payload-Omitted";
/// Says the original headers were left out (they alone were too large).
pub const HEADERS_OMITTED: &str = "Rollcall-Headers-Omitted";

/// What replaces a password.
const MASK: &str = "[redacted]";

/// The republished copy.
#[derive(Debug)]
pub struct Copy {
    pub headers: HeaderMap,
    pub payload: Bytes,
}

/// The copy of `payload` (sent to `command` with `original` headers) refused with `error` (the
/// `Rollcall-Error` value), at most `max_payload` bytes with its headers.
pub fn copy(command: &str, original: Option<&HeaderMap>, payload: &Bytes, error: &str, max_payload: usize) -> Copy {
    let mut h = original.map(headers::redacted).unwrap_or_default();
    h.insert(ROLLCALL_ERROR, error);
    let payload = match without_password(command, original, payload) {
        Payload::Kept => payload.clone(),
        Payload::Rewritten(rewritten) => rewritten,
        Payload::Redacted(redacted) => {
            h.insert(REDACTED, "password");
            redacted
        }
        Payload::Omitted(why) => {
            h.insert(PAYLOAD_OMITTED, why);
            Bytes::new()
        }
    };
    if wire_len(&h) + payload.len() <= max_payload {
        return Copy { headers: h, payload };
    }
    h.insert(PAYLOAD_OMITTED, format!("too large: {} bytes", payload.len()).as_str());
    if wire_len(&h) <= max_payload {
        return Copy {
            headers: h,
            payload: Bytes::new(),
        };
    }
    // The headers alone are too large: the error, the id if it is short, and a note.
    let mut minimal = HeaderMap::new();
    minimal.insert(ROLLCALL_ERROR, error);
    minimal.insert(PAYLOAD_OMITTED, "too large");
    minimal.insert(HEADERS_OMITTED, "too large");
    if let Some(id) = headers::get(original, headers::MSG_ID).filter(|id| id.len() <= 255) {
        minimal.insert(headers::MSG_ID, id);
    }
    Copy {
        headers: minimal,
        payload: Bytes::new(),
    }
}

enum Payload {
    Kept,
    /// Re-encoded: what the message does not know is dropped, nothing was masked.
    Rewritten(Bytes),
    Redacted(Bytes),
    Omitted(&'static str),
}

/// The payload with every password replaced: in JSON any `password` member (in any case, at any
/// depth); a protobuf user command is decoded as its message and re-encoded, so a field it does not
/// know (a password sent under another number) is dropped, and the `password` of a
/// `CreateUserRequest` or `ChangeUserPasswordRequest` masked. A payload that cannot be read is kept
/// only where no password belongs (person and company creates).
fn without_password(command: &str, original: Option<&HeaderMap>, payload: &[u8]) -> Payload {
    let carries_no_password = [CREATE_PERSON, CREATE_COMPANY].contains(&command);
    let unreadable = if carries_no_password {
        Payload::Kept
    } else {
        Payload::Omitted("unreadable, and it may hold a password")
    };
    if headers::is_protobuf(original) {
        if carries_no_password {
            return Payload::Kept;
        }
        return protobuf_user(command, payload).unwrap_or(unreadable);
    }
    let Ok(mut body) = serde_json::from_slice::<Value>(payload) else {
        return unreadable;
    };
    if !mask(&mut body) {
        return Payload::Kept;
    }
    match serde_json::to_vec(&body) {
        Ok(bytes) => Payload::Redacted(Bytes::from(bytes)),
        Err(_) => Payload::Omitted("unreadable, and it may hold a password"),
    }
}

/// A protobuf user command re-encoded from its message, the password masked; `None` for any other
/// command or a payload that is not its message.
fn protobuf_user(command: &str, payload: &[u8]) -> Option<Payload> {
    /// No password in the message.
    fn none<M>(_: &mut M) -> bool {
        false
    }
    fn rewrite<M: Message + Default>(payload: &[u8], password: impl FnOnce(&mut M) -> bool) -> Option<Payload> {
        let mut request = M::decode(payload).ok()?;
        let masked = password(&mut request);
        let bytes = Bytes::from(request.encode_to_vec());
        Some(if masked {
            Payload::Redacted(bytes)
        } else {
            Payload::Rewritten(bytes)
        })
    }
    match command {
        CREATE_USER => rewrite(payload, |r: &mut pb::CreateUserRequest| {
            r.password.as_mut().map(|p| *p = MASK.into()).is_some()
        }),
        CHANGE_PASSWORD => rewrite(payload, |r: &mut pb::ChangeUserPasswordRequest| {
            r.password = MASK.into();
            true
        }),
        UPDATE_USER => rewrite::<pb::UpdateUserRequest>(payload, none),
        SET_STATUS => rewrite::<pb::SetUserStatusRequest>(payload, none),
        SET_TYPE => rewrite::<pb::SetUserTypeRequest>(payload, none),
        CHANGE_EMAIL => rewrite::<pb::ChangeUserEmailRequest>(payload, none),
        DELETE_USER => rewrite::<pb::DeleteUserRequest>(payload, none),
        SET_ADMINISTRATOR => rewrite::<pb::SetAdministratorRequest>(payload, none),
        _ => None,
    }
}

/// Replaces every `password` member's value, however deep; whether there was one.
fn mask(value: &mut Value) -> bool {
    match value {
        Value::Object(map) => {
            let mut found = false;
            for (key, v) in map.iter_mut() {
                if key.eq_ignore_ascii_case("password") {
                    *v = Value::String(MASK.into());
                    found = true;
                } else {
                    found |= mask(v);
                }
            }
            found
        }
        Value::Array(items) => items.iter_mut().fold(false, |found, v| mask(v) | found),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: usize = 1024 * 1024;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, *v);
        }
        h
    }

    fn text(c: &Copy) -> String {
        String::from_utf8_lossy(&c.payload).into_owned()
    }

    #[test]
    fn a_json_password_is_redacted_in_any_case_and_at_any_depth_and_nothing_else_changes() {
        let body = Bytes::from_static(br#"{"email":"a@b.io","Password":"s3cret-pass","x":[{"PASSWORD":"p2"}]}"#);
        let c = copy(CREATE_USER, None, &body, "{}", MIB);
        assert!(!text(&c).contains("s3cret") && !text(&c).contains("p2"), "{}", text(&c));
        let v: Value = serde_json::from_slice(&c.payload).unwrap();
        assert_eq!(
            (v["email"].as_str(), v["Password"].as_str()),
            (Some("a@b.io"), Some(MASK))
        );
        assert_eq!(c.headers.get(REDACTED).map(|v| v.as_str()), Some("password"));
        let person = Bytes::from_static(br#"{"firstName": "A"}"#);
        let c = copy(CREATE_PERSON, None, &person, "{}", MIB);
        assert_eq!(c.payload, person, "kept byte for byte");
        assert!(c.headers.get(REDACTED).is_none());
    }

    #[test]
    fn a_protobuf_password_is_redacted_and_an_unreadable_user_payload_is_left_out() {
        let proto = h(&[("Content-Type", "application/protobuf")]);
        let request = pb::CreateUserRequest {
            email: Some("a@b.io".into()),
            password: Some("s3cret-pass".into()),
            ..Default::default()
        };
        let c = copy(
            CREATE_USER,
            Some(&proto),
            &Bytes::from(request.encode_to_vec()),
            "{}",
            MIB,
        );
        let back = pb::CreateUserRequest::decode(c.payload.as_ref()).unwrap();
        assert_eq!(
            (back.email.as_deref(), back.password.as_deref()),
            (Some("a@b.io"), Some(MASK))
        );
        for (command, headers, body) in [
            (CREATE_USER, Some(&proto), &b"\xff\xff\xff"[..]),
            (CREATE_USER, None, &br#"{"password":"s3cret", oops"#[..]),
            ("people.user.delete", None, &b"not json"[..]),
        ] {
            let c = copy(command, headers, &Bytes::copy_from_slice(body), "{}", MIB);
            assert!(c.payload.is_empty(), "{command}");
            assert!(c.headers.get(PAYLOAD_OMITTED).is_some(), "{command}");
        }
        let garbage = Bytes::from_static(b"{not json");
        assert_eq!(copy(CREATE_PERSON, None, &garbage, "{}", MIB).payload, garbage);
    }

    #[test]
    fn a_protobuf_user_change_is_republished_re_encoded_and_its_password_masked() {
        let proto = h(&[("Content-Type", "application/protobuf")]);
        let change = pb::ChangeUserPasswordRequest {
            id: "ann".into(),
            password: "s3cret-pass".into(),
            ..Default::default()
        };
        let bytes = Bytes::from(change.encode_to_vec());
        let c = copy(CHANGE_PASSWORD, Some(&proto), &bytes, "{}", MIB);
        let back = pb::ChangeUserPasswordRequest::decode(c.payload.as_ref()).unwrap();
        assert_eq!((back.id.as_str(), back.password.as_str()), ("ann", MASK));
        assert_eq!(c.headers.get(REDACTED).map(|v| v.as_str()), Some("password"));
        // A create (password = field 14) sent to a subject whose message has no field 14: the
        // unknown field, and the password with it, is dropped.
        let create = pb::CreateUserRequest {
            first_name: Some("Ann".into()),
            password: Some("s3cret-pass".into()),
            ..Default::default()
        };
        let c = copy(
            UPDATE_USER,
            Some(&proto),
            &Bytes::from(create.encode_to_vec()),
            "{}",
            MIB,
        );
        assert!(!text(&c).contains("s3cret"), "{:?}", c.payload);
        let back = pb::UpdateUserRequest::decode(c.payload.as_ref()).unwrap();
        assert_eq!(
            back.first_name.as_deref(),
            Some("Ann"),
            "what the message knows is kept"
        );
        let c = copy(DELETE_USER, Some(&proto), &Bytes::from_static(b"\xff\xff"), "{}", MIB);
        assert!(c.payload.is_empty() && c.headers.get(PAYLOAD_OMITTED).is_some());
    }

    #[test]
    fn a_copy_too_large_to_publish_drops_the_payload_then_the_headers() {
        let original = h(&[("Nats-Msg-Id", "m1"), ("Authorization", "Bearer t")]);
        let body = Bytes::from(vec![b' '; 1_000]);
        let c = copy(CREATE_PERSON, Some(&original), &body, r#"{"status":401}"#, 1_000);
        assert!(c.payload.is_empty());
        assert_eq!(
            c.headers.get(PAYLOAD_OMITTED).map(|v| v.as_str()),
            Some("too large: 1000 bytes")
        );
        assert_eq!(c.headers.get("Authorization").map(|v| v.as_str()), Some("[redacted]"));
        assert!(wire_len(&c.headers) <= 1_000);
        let long = "x".repeat(2_000);
        let huge = h(&[("Nats-Msg-Id", "m1"), ("X-Note", long.as_str())]);
        let c = copy(CREATE_PERSON, Some(&huge), &body, r#"{"status":401}"#, 1_000);
        assert!(c.headers.get("X-Note").is_none());
        assert_eq!(c.headers.get("Nats-Msg-Id").map(|v| v.as_str()), Some("m1"));
        assert_eq!(
            c.headers.get(ROLLCALL_ERROR).map(|v| v.as_str()),
            Some(r#"{"status":401}"#)
        );
        assert!(wire_len(&c.headers) <= 1_000);
    }
}
