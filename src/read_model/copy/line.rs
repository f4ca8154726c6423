//! One row in `COPY`'s text format: a struct whose field names are column names, each field encoded
//! by its column's type (`text`), in the order of the columns the first row named.

use std::collections::HashMap;

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::text;

pub(super) struct Table {
    /// Column name → PostgreSQL type (`format_type`), for the encoding.
    types: HashMap<String, String>,
    /// The columns of the `COPY`, in order (the first row's fields that are columns).
    pub(super) columns: Vec<Column>,
    /// The row being encoded, by column.
    fields: Vec<Slot>,
    pub(super) data: Vec<u8>,
    pub(super) rows: u64,
}

impl Table {
    pub(super) fn new(types: HashMap<String, String>) -> Table {
        Table {
            types,
            columns: Vec::new(),
            fields: Vec::new(),
            data: Vec::new(),
            rows: 0,
        }
    }

    /// Appends `row` (a struct whose field names are column names) as a line of `COPY` text.
    pub(super) fn push<R: Serialize>(&mut self, row: &R) -> Result<(), serde_json::Error> {
        row.serialize(Line { table: self })
    }

    /// Where field `key` goes: its column (`next` is the likely one), added when the first row names it.
    fn column(&mut self, key: &str, next: usize) -> Option<usize> {
        if self.columns.get(next).is_some_and(|c| c.name == key) {
            return Some(next);
        }
        if let Some(i) = self.columns.iter().position(|c| c.name == key) {
            return Some(i);
        }
        if self.rows > 0 {
            return None;
        }
        // Fields that are no column are ignored, as `json_populate_recordset` ignores them.
        let kind = text::Kind::of(self.types.get(key)?);
        self.columns.push(Column {
            name: key.to_string(),
            kind,
        });
        self.fields.push(Slot::default());
        Some(self.columns.len() - 1)
    }
}

/// A column of the `COPY` and how its fields are written.
pub(super) struct Column {
    pub(super) name: String,
    kind: text::Kind,
}

/// Serializer methods for what is no row.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok, serde_json::Error> {
            Err(not_a_row())
        })*
    };
}

/// Serializes one row into its table's `COPY` text: each field encoded into its column's slot, the
/// slots written out in column order (`NULL` for a column the row has no field for).
struct Line<'t> {
    table: &'t mut Table,
}

impl<'t> ser::Serializer for Line<'t> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<(), serde_json::Error>;
    type SerializeTuple = Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = Impossible<(), serde_json::Error>;
    type SerializeMap = Impossible<(), serde_json::Error>;
    type SerializeStruct = Fields<'t>;
    type SerializeStructVariant = Impossible<(), serde_json::Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields<'t>, serde_json::Error> {
        Ok(Fields {
            table: self.table,
            next: 0,
        })
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    refuse! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), serde_json::Error> {
        Err(not_a_row())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), serde_json::Error> {
        Err(not_a_row())
    }
}

fn not_a_row() -> serde_json::Error {
    ser::Error::custom("a COPY row must be a struct whose fields are its columns")
}

/// One column's field of the row being encoded.
#[derive(Default)]
struct Slot {
    bytes: Vec<u8>,
    set: bool,
}

struct Fields<'t> {
    table: &'t mut Table,
    next: usize,
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Self::Error> {
        let Some(i) = self.table.column(key, self.next) else {
            return Ok(());
        };
        self.next = i + 1;
        let kind = self.table.columns[i].kind;
        let slot = &mut self.table.fields[i];
        slot.bytes.clear();
        slot.set = true;
        text::field(&mut slot.bytes, value, kind)
    }

    fn end(self) -> Result<(), Self::Error> {
        let t = self.table;
        for (i, slot) in t.fields.iter_mut().enumerate() {
            if i > 0 {
                t.data.push(b'\t');
            }
            if std::mem::take(&mut slot.set) {
                t.data.extend_from_slice(&slot.bytes);
            } else {
                t.data.extend_from_slice(b"\\N");
            }
        }
        t.data.push(b'\n');
        t.rows += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct First {
        id: i64,
        extra: &'static str,
        name: &'static str,
    }

    #[derive(Serialize)]
    struct Later {
        name: Option<&'static str>,
        id: i64,
    }

    #[derive(Serialize)]
    struct Short {
        id: i64,
    }

    #[test]
    fn rows_follow_the_first_rows_columns_and_skip_fields_that_are_no_column() {
        let types = [("id", "bigint"), ("name", "text")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut t = Table::new(types);
        t.push(&First {
            id: 1,
            extra: "x",
            name: "Ann",
        })
        .unwrap();
        t.push(&Later { name: None, id: 2 }).unwrap();
        t.push(&Short { id: 3 }).unwrap();
        t.push(&Later {
            name: Some("Bo\tb"),
            id: 4,
        })
        .unwrap();
        let columns: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(columns, ["id", "name"]);
        assert_eq!(
            String::from_utf8(t.data).unwrap(),
            "1\tAnn\n2\t\\N\n3\t\\N\n4\tBo\\tb\n"
        );
    }

    #[test]
    fn a_row_that_is_no_struct_is_refused() {
        let mut t = Table::new(HashMap::new());
        assert!(t.push(&7).is_err());
        assert!(t.push(&serde_json::json!({"id": 1})).is_err());
    }
}
