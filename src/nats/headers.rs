//! The headers the adapter reads and writes, looked up case-insensitively (NATS headers are not
//! normalised by the client).

use async_nats::HeaderMap;

/// The bearer token: `Authorization: Bearer <token>` (a raw token is accepted too).
pub const AUTHORIZATION: &str = "Authorization";
/// The idempotency key of a command.
pub const MSG_ID: &str = "Nats-Msg-Id";
/// `application/protobuf` selects the protobuf payload; anything else is JSON.
pub const CONTENT_TYPE: &str = "Content-Type";
/// Optional, carried into logs and event metadata; the idempotency key stands in when absent.
pub const CORRELATION_ID: &str = "Correlation-Id";
/// The version a change expects the contact to be at (`If-Match` of REST); a mismatch is a 412.
pub const EXPECTED_VERSION: &str = "Rollcall-Expected-Version";
/// Added to a rejected command: `{"status":N,"message":…,"field":…}`.
pub const ROLLCALL_ERROR: &str = "Rollcall-Error";

/// The first value of `name`, in any case, trimmed; `None` when absent or blank.
pub fn get<'h>(headers: Option<&'h HeaderMap>, name: &str) -> Option<&'h str> {
    headers?
        .iter()
        .find(|(k, _)| AsRef::<str>::as_ref(k).eq_ignore_ascii_case(name))
        .and_then(|(_, values)| values.first())
        .map(|v| v.as_str().trim())
        .filter(|v| !v.is_empty())
}

/// The headers of a message as they may be republished: any `Authorization` value (a live bearer
/// token) is replaced by `[redacted]`, so a credential never travels to `P.rejected.…`.
pub fn redacted(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (name, values) in headers.iter() {
        if AsRef::<str>::as_ref(name).eq_ignore_ascii_case(AUTHORIZATION) {
            out.insert(name.clone(), "[redacted]");
        } else {
            for value in values {
                out.append(name.clone(), value.clone());
            }
        }
    }
    out
}

/// Whether the payload is protobuf (`application/protobuf`, also `application/x-protobuf`, with any
/// parameters).
pub fn is_protobuf(headers: Option<&HeaderMap>) -> bool {
    get(headers, CONTENT_TYPE)
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .is_some_and(|v| v == "application/protobuf" || v == "application/x-protobuf")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, *v);
        }
        h
    }

    #[test]
    fn republished_headers_never_carry_the_token() {
        let h = redacted(&map(&[("authorization", "Bearer secret-token"), ("Nats-Msg-Id", "m1")]));
        assert_eq!(h.get("authorization").map(|v| v.as_str()), Some("[redacted]"));
        assert_eq!(h.get("Nats-Msg-Id").map(|v| v.as_str()), Some("m1"));
    }

    #[test]
    fn headers_are_found_in_any_case() {
        let h = map(&[("nats-msg-id", " k1 ")]);
        assert_eq!(get(Some(&h), MSG_ID), Some("k1"));
        assert_eq!(get(None, MSG_ID), None);
    }

    #[test]
    fn protobuf_is_chosen_by_content_type_only() {
        assert!(is_protobuf(Some(&map(&[("Content-Type", "application/protobuf")]))));
        assert!(is_protobuf(Some(&map(&[(
            "content-type",
            "Application/X-Protobuf; v=1"
        )]))));
        assert!(!is_protobuf(Some(&map(&[("Content-Type", "application/json")]))));
        assert!(!is_protobuf(None));
    }
}
