//! One field in `COPY`'s text format, encoded by its column's type: `json`/`jsonb` as JSON text,
//! arrays as array literals, `NULL` as `\N`, everything else as its text.
//!
//! A field is encoded straight from its `Serialize` value (no `serde_json::Value` in between) when it
//! is JSON or a scalar, or an array of scalars in an array column; any other shape takes the way
//! through a `Value` ([`encode`]), which defines the result for every shape.

use std::fmt::Display;
use std::io::{self, Write as _};

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::Value;

/// How a column's fields are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Json,
    Array,
    Text,
}

impl Kind {
    /// By the column's type as `format_type` prints it.
    pub fn of(ty: &str) -> Kind {
        match ty {
            "json" | "jsonb" => Kind::Json,
            _ if ty.ends_with("[]") => Kind::Array,
            _ => Kind::Text,
        }
    }
}

/// Appends `value` to `out` as a field of a column of kind `kind`.
pub fn field<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T, kind: Kind) -> Result<(), serde_json::Error> {
    let start = out.len();
    let direct = match kind {
        Kind::Json => {
            serde_json::to_writer(Escaping(&mut *out), value)?;
            if &out[start..] == b"null" {
                out.truncate(start);
                out.extend_from_slice(b"\\N");
            }
            return Ok(());
        }
        Kind::Array => value.serialize(Scalar {
            out: &mut *out,
            array: true,
        }),
        Kind::Text => value.serialize(Scalar {
            out: &mut *out,
            array: false,
        }),
    };
    if direct.is_err() {
        out.truncate(start);
        encode(out, &serde_json::to_value(value)?, kind);
    }
    Ok(())
}

/// One field from its JSON value: the reference for every shape.
pub fn encode(out: &mut Vec<u8>, value: &Value, kind: Kind) {
    match value {
        Value::Null => out.extend_from_slice(b"\\N"),
        _ if kind == Kind::Json => escape(out, &value.to_string()),
        Value::Array(items) if kind == Kind::Array => escape(out, &array_literal(items)),
        Value::String(s) => escape(out, s),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        other => escape(out, &other.to_string()),
    }
}

/// A one-dimensional array literal: every element double-quoted (`NULL` bare).
fn array_literal(items: &[Value]) -> String {
    let mut s = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        match item {
            Value::Null => s.push_str("NULL"),
            Value::String(v) => quote_element(&mut s, v),
            other => quote_element(&mut s, &other.to_string()),
        }
    }
    s.push('}');
    s
}

fn quote_element(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
}

/// `COPY` text escapes: backslash, and the delimiters tab, newline and carriage return.
pub fn escape(out: &mut Vec<u8>, s: &str) {
    escape_bytes(out, s.as_bytes());
}

fn escape_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&bytes[plain..i]);
        out.extend_from_slice(escaped);
        plain = i + 1;
    }
    out.extend_from_slice(&bytes[plain..]);
}

/// Writes through the `COPY` escapes (JSON text is ASCII-delimited, so bytes escape like characters).
struct Escaping<'a>(&'a mut Vec<u8>);

impl io::Write for Escaping<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        escape_bytes(self.0, buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Not encoded directly: the field goes through [`encode`].
#[derive(Debug)]
pub struct Indirect;

impl Display for Indirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("encoded through a JSON value")
    }
}

impl std::error::Error for Indirect {}

impl ser::Error for Indirect {
    fn custom<T: Display>(_: T) -> Self {
        Indirect
    }
}

/// A scalar field, or (in an array column) a sequence of scalars, as [`encode`] writes it.
struct Scalar<'a> {
    out: &'a mut Vec<u8>,
    array: bool,
}

impl Scalar<'_> {
    fn text(self, s: &str) -> Result<(), Indirect> {
        escape(self.out, s);
        Ok(())
    }
}

/// The number types [`encode`] writes as their decimal text (floats go through [`encode`]).
macro_rules! integers {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), Indirect> {
            write!(self.out, "{v}").map_err(|_| Indirect)
        })*
    };
}

impl<'a> ser::Serializer for Scalar<'a> {
    type Ok = ();
    type Error = Indirect;
    type SerializeSeq = Elements<'a>;
    type SerializeTuple = Impossible<(), Indirect>;
    type SerializeTupleStruct = Impossible<(), Indirect>;
    type SerializeTupleVariant = Impossible<(), Indirect>;
    type SerializeMap = Impossible<(), Indirect>;
    type SerializeStruct = Impossible<(), Indirect>;
    type SerializeStructVariant = Impossible<(), Indirect>;

    integers!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64);

    fn serialize_bool(self, v: bool) -> Result<(), Indirect> {
        self.out.push(if v { b't' } else { b'f' });
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Indirect> {
        Err(Indirect)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Indirect> {
        Err(Indirect)
    }
    fn serialize_char(self, v: char) -> Result<(), Indirect> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Indirect> {
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Indirect> {
        Err(Indirect)
    }
    fn serialize_none(self) -> Result<(), Indirect> {
        self.out.extend_from_slice(b"\\N");
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Indirect> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Indirect> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Indirect> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Indirect> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<(), Indirect> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Indirect> {
        Err(Indirect)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Elements<'a>, Indirect> {
        if !self.array {
            return Err(Indirect);
        }
        Ok(Elements {
            out: self.out,
            literal: String::from("{"),
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Indirect> {
        Err(Indirect)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Indirect> {
        Err(Indirect)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Indirect> {
        Err(Indirect)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Indirect> {
        Err(Indirect)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Indirect> {
        Err(Indirect)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Indirect> {
        Err(Indirect)
    }
}

/// An array literal being written: its elements as [`array_literal`] writes them.
struct Elements<'a> {
    out: &'a mut Vec<u8>,
    literal: String,
}

impl ser::SerializeSeq for Elements<'_> {
    type Ok = ();
    type Error = Indirect;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Indirect> {
        if self.literal.len() > 1 {
            self.literal.push(',');
        }
        // Elements are JSON scalars: a string quoted as it is, anything else as its JSON text.
        match serde_json::to_value(value).map_err(|_| Indirect)? {
            Value::Null => self.literal.push_str("NULL"),
            Value::String(v) => quote_element(&mut self.literal, &v),
            Value::Array(_) | Value::Object(_) => return Err(Indirect),
            other => quote_element(&mut self.literal, &other.to_string()),
        }
        Ok(())
    }

    fn end(mut self) -> Result<(), Indirect> {
        self.literal.push('}');
        escape(self.out, &self.literal);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn by_value(value: Value, ty: &str) -> String {
        let mut out = Vec::new();
        encode(&mut out, &value, Kind::of(ty));
        String::from_utf8(out).unwrap()
    }

    fn direct<T: Serialize + ?Sized>(value: &T, ty: &str) -> String {
        let mut out = Vec::new();
        field(&mut out, value, Kind::of(ty)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_escaped_for_copy_text_and_typed_by_column() {
        assert_eq!(by_value(json!("a\tb\nc\\d\re"), "text"), "a\\tb\\nc\\\\d\\re");
        assert_eq!(by_value(Value::Null, "text"), "\\N");
        assert_eq!(by_value(json!(7), "bigint"), "7");
        assert_eq!(by_value(json!(true), "boolean"), "t");
        assert_eq!(by_value(json!([{"a": "x\ty"}]), "jsonb"), "[{\"a\":\"x\\\\ty\"}]");
        assert_eq!(
            by_value(json!(["a\"b", "c\\d"]), "text[]"),
            "{\"a\\\\\"b\",\"c\\\\\\\\d\"}"
        );
        assert_eq!(by_value(json!([]), "uuid[]"), "{}");
        // A JSON string in a json column stays a JSON string.
        assert_eq!(by_value(json!("x"), "json"), "\"x\"");
    }

    #[derive(Serialize)]
    enum Sex {
        Female,
    }

    #[derive(Serialize)]
    struct Entry<'a> {
        key: i32,
        value: &'a str,
    }

    #[derive(Serialize)]
    struct Id(i64);

    #[test]
    fn a_field_encoded_directly_reads_as_through_its_json_value() {
        let at = chrono::DateTime::parse_from_rfc3339("2025-01-10T10:15:42.5Z")
            .unwrap()
            .to_utc();
        let uuid = uuid::Uuid::from_u128(0x7c9e_6679_7425_40de_944b_e07f_c1f9_0ae7);
        let entries = [
            Entry {
                key: 1,
                value: "x\ty\\",
            },
            Entry { key: 2, value: "\u{1}" },
        ];
        let same = |direct: String, value: Value, ty: &str| assert_eq!(direct, by_value(value, ty), "{ty}");
        same(direct("a\tb\nc\\d\re", "text"), json!("a\tb\nc\\d\re"), "text");
        same(direct(&Some("x"), "text"), json!("x"), "text");
        same(direct(&None::<&str>, "text"), Value::Null, "text");
        same(direct(&-7i64, "bigint"), json!(-7), "bigint");
        same(direct(&3i16, "smallint"), json!(3), "smallint");
        same(direct(&u64::MAX, "numeric"), json!(u64::MAX), "numeric");
        same(direct(&false, "boolean"), json!(false), "boolean");
        same(direct(&1.5f64, "double precision"), json!(1.5), "double precision");
        same(
            direct(&at, "timestamp with time zone"),
            json!(at),
            "timestamp with time zone",
        );
        same(direct(&uuid, "uuid"), json!(uuid), "uuid");
        same(direct(&Some(Sex::Female), "text"), json!(Sex::Female), "text");
        same(direct(&Id(9), "bigint"), json!(9), "bigint");
        same(direct(&[uuid, uuid], "uuid[]"), json!([uuid, uuid]), "uuid[]");
        same(direct(&Vec::<uuid::Uuid>::new(), "uuid[]"), json!([]), "uuid[]");
        same(direct(&["a\"b", "c\\d"], "text[]"), json!(["a\"b", "c\\d"]), "text[]");
        same(direct(&[Some(1), None], "integer[]"), json!([1, null]), "integer[]");
        same(direct(&[[1]], "integer[]"), json!([[1]]), "integer[]");
        same(direct(&entries, "jsonb"), json!(entries), "jsonb");
        same(direct(&entries, "text"), json!(entries), "text");
        same(direct(&entries, "text[]"), json!(entries), "text[]");
        same(direct(&None::<Entry>, "jsonb"), Value::Null, "jsonb");
        same(direct("x", "json"), json!("x"), "json");
    }
}
