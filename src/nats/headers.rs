//! The headers the adapter reads and writes, looked up case-insensitively (NATS headers are not
//! normalised by the client).

use async_nats::HeaderMap;

/// The bearer token: `Authorization: Bearer <token>` (a raw token is accepted too).
pub const AUTHORIZATION: &str = "Authorization";
/// The idempotency key of a command.
pub const MSG_ID: &str = "Nats-Msg-Id";
/// `application/protobuf` selects the protobuf payload; anything else is JSON.
pub const CONTENT_TYPE: &str = "Content-Type";
/// Optional, carried into logs and event metadata; the idempotency key stands in when absent or not
/// sane (`telemetry::sane_correlation_id`: printable ASCII, at most 128 bytes, as REST and gRPC).
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

/// The client's `Correlation-Id` when it is sane, else `None` (the caller picks another).
pub fn correlation_id(headers: Option<&HeaderMap>) -> Option<&str> {
    get(headers, CORRELATION_ID).and_then(crate::telemetry::sane_correlation_id)
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

/// The bytes `headers` take on the wire (`NATS/1.0`, each `name: value` line, the blank line), which
/// count against the server's `max_payload` together with the payload.
pub fn wire_len(headers: &HeaderMap) -> usize {
    let lines: usize = headers
        .iter()
        .map(|(name, values)| {
            let name: &str = name.as_ref();
            values
                .iter()
                .map(|v| name.len() + 2 + v.as_str().len() + 2)
                .sum::<usize>()
        })
        .sum();
    "NATS/1.0\r\n".len() + lines + 2
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
    fn the_wire_length_counts_the_preamble_every_line_and_the_blank_line() {
        assert_eq!(wire_len(&HeaderMap::new()), 12);
        let h = map(&[("Ab", "xyz"), ("C", "")]);
        assert_eq!(wire_len(&h), 12 + "Ab: xyz\r\n".len() + "C: \r\n".len());
    }

    #[test]
    fn headers_are_found_in_any_case() {
        let h = map(&[("nats-msg-id", " k1 ")]);
        assert_eq!(get(Some(&h), MSG_ID), Some("k1"));
        assert_eq!(get(None, MSG_ID), None);
    }

    #[test]
    fn a_correlation_id_longer_than_rest_allows_or_with_spaces_is_not_taken() {
        assert_eq!(correlation_id(Some(&map(&[("correlation-id", " c-1 ")]))), Some("c-1"));
        let long = "x".repeat(129);
        assert_eq!(correlation_id(Some(&map(&[("Correlation-Id", long.as_str())]))), None);
        assert_eq!(correlation_id(Some(&map(&[("Correlation-Id", "a b")]))), None);
        assert_eq!(
            correlation_id(Some(&map(&[("Correlation-Id", &"y".repeat(128))]))).map(str::len),
            Some(128)
        );
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
