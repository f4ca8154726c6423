//! `Json` against `serde_json::Value`: the same documents, the same errors, borrowed strings.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::*;

/// `json` as a `Value`, entries in `json`'s order (compared through `to_string`, which keeps it,
/// because `Map`'s equality ignores order).
fn to_value(json: &Json<'_>) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.clone()),
        Json::String(s) => Value::String(s.to_string()),
        Json::Array(items) => Value::Array(items.iter().map(to_value).collect()),
        Json::Object(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                assert!(map.insert(k.to_string(), to_value(v)).is_none(), "{k:?} is held twice");
            }
            Value::Object(map)
        }
    }
}

/// `Json` reads `doc` as `Value` does, or fails with the same message.
fn same_as_value(doc: &[u8]) {
    let label = String::from_utf8_lossy(doc);
    let label = label.chars().take(80).collect::<String>();
    match (serde_json::from_slice::<Value>(doc), Json::parse(doc)) {
        (Ok(value), Ok(json)) => assert_eq!(to_value(&json).to_string(), value.to_string(), "{label}"),
        (Err(value), Err(json)) => assert_eq!(json.to_string(), value.to_string(), "{label}"),
        (value, json) => panic!("{label}: Value {value:?}, Json {json:?}"),
    }
}

/// A string as read, and whether it borrows from the payload.
#[expect(clippy::ptr_arg, reason = "which `Cow` variant it is is what is asked")]
fn read<'s>(s: &'s Cow<'_, str>) -> (&'s str, bool) {
    (s.as_ref(), matches!(s, Cow::Borrowed(_)))
}

/// An entry as read: the key, and the value when it is a string.
type Seen<'s> = ((&'s str, bool), Option<(&'s str, bool)>);

#[test]
fn strings_and_keys_borrow_from_the_payload_unless_they_hold_escapes() {
    let doc = br#"{"plain":"text","esc\naped":"a\"b","u":"\u00e9t\u00e9","":""}"#;
    let Ok(Json::Object(entries)) = Json::parse(doc) else {
        panic!("expected an object");
    };
    let seen: Vec<Seen<'_>> = entries
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Json::String(s) => Some(read(s)),
                _ => None,
            };
            (read(k), value)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (("plain", true), Some(("text", true))),
            (("esc\naped", false), Some(("a\"b", false))),
            (("u", true), Some(("été", false))),
            (("", true), Some(("", true))),
        ]
    );
    let raw_utf8 = "{\"é\":\"ß\"}";
    let Ok(Json::Object(entries)) = Json::parse(raw_utf8.as_bytes()) else {
        panic!("expected an object");
    };
    assert_eq!(read(&entries[0].0), ("é", true), "UTF-8 without escapes needs no copy");
}

#[test]
fn scalars_and_numbers_read_as_value_reads_them() {
    let docs: [&[u8]; 14] = [
        b"null",
        b"true",
        b"false",
        b"0",
        b"-0",
        b"-9223372036854775808",
        b"18446744073709551615",
        b"18446744073709551616",
        b"1.5",
        b"-2.5e-3",
        b"1e400",
        b"[1, 2.0, -3, 1E2]",
        b" \"x\" ",
        b"{\"a\": [null, {\"b\": false}], \"c\": {}}",
    ];
    for doc in docs {
        same_as_value(doc);
    }
    assert_eq!(Json::parse(b"7").ok(), Some(Json::Number(7.into())));
    assert_eq!(Json::parse(b"-7").ok(), Some(Json::Number((-7).into())));
}

#[test]
fn nesting_keeps_arrays_objects_and_document_order() {
    let doc = br#"{"z":1,"a":[{"y":[],"b":{"c":[true,null]}}],"m":"x"}"#;
    same_as_value(doc);
    let Ok(Json::Object(entries)) = Json::parse(doc) else {
        panic!("expected an object");
    };
    let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, ["z", "a", "m"], "document order, not sorted");
}

#[test]
fn a_repeated_key_keeps_its_first_place_and_its_last_value_as_value_does() {
    let Ok(Json::Object(entries)) = Json::parse(br#"{"a":1,"b":2,"a":3,"c":4,"a":5}"#) else {
        panic!("expected an object");
    };
    let got: Vec<(&str, &Json<'_>)> = entries.iter().map(|(k, v)| (k.as_ref(), v)).collect();
    assert_eq!(
        got,
        [
            ("a", &Json::Number(5.into())),
            ("b", &Json::Number(2.into())),
            ("c", &Json::Number(4.into()))
        ]
    );
    // Keys that differ in case are different keys, in both trees.
    same_as_value(br#"{"Name":"a","name":"b","NAME":"c","name":"d"}"#);
    // An escaped spelling of the same key is the same key.
    same_as_value(br#"{"ab":1,"a\u0062":2}"#);
    // Past the pairwise check, through the hash map.
    let many: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", i % 13)).collect();
    same_as_value(format!("{{{}}}", many.join(",")).as_bytes());
    same_as_value(format!("[{{{}}}, {{\"k\":[{{{}}}]}}]", many.join(","), many.join(",")).as_bytes());
}

#[test]
fn deep_nesting_is_a_clean_error_at_serde_json_s_limit() {
    for depth in [127, 128, 129, 10_000, 1_000_000] {
        same_as_value(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes());
        same_as_value(format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).as_bytes());
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let e = Json::parse(deep.as_bytes()).unwrap_err();
    assert!(e.to_string().starts_with("recursion limit exceeded"), "{e}");
    assert!(Json::parse(format!("{}{}", "[".repeat(127), "]".repeat(127)).as_bytes()).is_ok());
}

#[test]
fn malformed_payloads_fail_with_value_s_messages() {
    let docs: [&[u8]; 14] = [
        b"",
        b"   ",
        b"{nope",
        b"{\"a\":1,}",
        b"[1,2",
        b"{\"a\":1} x",
        b"{\"a\" 1}",
        b"{1:2}",
        b"nul",
        b"01",
        b"\"\\ud800\"",
        b"\"\xff\"",
        b"\"a\x01b\"",
        b"{\"a\":\"\\q\"}",
    ];
    for doc in docs {
        same_as_value(doc);
    }
}
