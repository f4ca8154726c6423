//! Bulk rows for a rebuild's shadow tables: the rows a batch projects for aggregates that the rebuild
//! has not written yet go into the table by `COPY … FROM STDIN` (text format) instead of an upsert;
//! the rows of aggregates met before (a stream spread over several batches) still take the upsert
//! with its position guard, so the result is the same as projecting every batch.
//!
//! Rows are the views' `ProjectedRow`s (serde field name = column name), encoded by the column types
//! PostgreSQL reports for the table: arrays as array literals, `json`/`jsonb` as JSON text, `NULL` as
//! `\N`, everything else as its text.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

/// Rows gathered for `COPY`, by table, and the aggregates already written.
#[derive(Default)]
pub struct Copies {
    /// `None`: no bulk path (the live projector): every row is upserted.
    bulk: Option<Bulk>,
}

#[derive(Default)]
struct Bulk {
    /// Hashes of (table, id) of every row written or deleted so far. A collision only sends a row to
    /// the upsert, which is always correct.
    seen: HashSet<u64>,
    tables: HashMap<&'static str, Table>,
}

struct Table {
    /// Column name → PostgreSQL type (`format_type`), for the encoding.
    types: HashMap<String, String>,
    /// The columns of the `COPY`, in order (from the first row).
    columns: Vec<String>,
    data: Vec<u8>,
    rows: u64,
}

impl Copies {
    /// Every row is upserted.
    pub fn none() -> Copies {
        Copies::default()
    }

    /// Rows of aggregates not seen before go to `COPY`.
    pub fn bulk() -> Copies {
        Copies {
            bulk: Some(Bulk::default()),
        }
    }

    /// Takes the rows of `table` whose aggregate this rebuild has not written yet (encoded for
    /// `COPY`), and returns the others, to be upserted. `touched` are further ids of the table the
    /// batch decided (deletions), remembered so a later row of theirs is upserted too.
    pub async fn take<R: Serialize, K: Hash>(
        &mut self,
        conn: &mut PgConnection,
        table: &'static str,
        rows: Vec<R>,
        key: impl Fn(&R) -> K,
        touched: impl IntoIterator<Item = K>,
    ) -> Result<Vec<R>, sqlx::Error> {
        let Some(bulk) = self.bulk.as_mut() else {
            return Ok(rows);
        };
        let mut upsert = Vec::new();
        let mut fresh = Vec::new();
        for row in rows {
            if bulk.seen.insert(hash(table, &key(&row))) {
                fresh.push(row);
            } else {
                upsert.push(row);
            }
        }
        for k in touched {
            bulk.seen.insert(hash(table, &k));
        }
        if !fresh.is_empty() {
            if !bulk.tables.contains_key(table) {
                let types = column_types(conn, table).await?;
                bulk.tables.insert(table, Table::new(types));
            }
            let t = bulk.tables.get_mut(table).expect("inserted above");
            for row in &fresh {
                let value = serde_json::to_value(row).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
                t.push(&value);
            }
        }
        Ok(upsert)
    }

    /// Sends every gathered row with one `COPY` per table; returns how many rows went.
    pub async fn flush(&mut self, conn: &mut PgConnection) -> Result<u64, sqlx::Error> {
        let Some(bulk) = self.bulk.as_mut() else {
            return Ok(0);
        };
        let mut sent = 0;
        for (name, t) in &mut bulk.tables {
            if t.rows == 0 {
                continue;
            }
            let columns: Vec<String> = t.columns.iter().map(|c| quote_ident(c)).collect();
            let statement = format!("COPY {} ({}) FROM STDIN", quote_ident(name), columns.join(", "));
            let mut copy = conn.copy_in_raw(&statement).await?;
            if let Err(e) = copy.send(std::mem::take(&mut t.data)).await {
                // The connection must leave the COPY state before it can report anything else.
                let _ = copy.abort("rebuild: sending rows failed").await;
                return Err(e);
            }
            sent += copy.finish().await?;
            t.rows = 0;
        }
        Ok(sent)
    }
}

impl Table {
    fn new(types: HashMap<String, String>) -> Table {
        Table {
            types,
            columns: Vec::new(),
            data: Vec::new(),
            rows: 0,
        }
    }

    fn push(&mut self, row: &Value) {
        let Value::Object(fields) = row else { return };
        if self.columns.is_empty() {
            // Fields that are no column are ignored, as `json_populate_recordset` ignores them.
            self.columns = fields.keys().filter(|k| self.types.contains_key(*k)).cloned().collect();
        }
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                self.data.push(b'\t');
            }
            let ty = self.types.get(column).map(String::as_str).unwrap_or("text");
            encode(&mut self.data, fields.get(column).unwrap_or(&Value::Null), ty);
        }
        self.data.push(b'\n');
        self.rows += 1;
    }
}

fn hash(table: &str, key: &impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (table, key).hash(&mut h);
    h.finish()
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Column name → type of a table.
async fn column_types(conn: &mut PgConnection, table: &str) -> Result<HashMap<String, String>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
          WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped",
    )
    .bind(table)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// One field in `COPY`'s text format.
fn encode(out: &mut Vec<u8>, value: &Value, ty: &str) {
    match value {
        Value::Null => out.extend_from_slice(b"\\N"),
        _ if ty == "json" || ty == "jsonb" => escape(out, &value.to_string()),
        Value::Array(items) if ty.ends_with("[]") => escape(out, &array_literal(items)),
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
fn escape(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(value: Value, ty: &str) -> String {
        let mut out = Vec::new();
        encode(&mut out, &value, ty);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn fields_are_escaped_for_copy_text_and_typed_by_column() {
        assert_eq!(field(json!("a\tb\nc\\d\re"), "text"), "a\\tb\\nc\\\\d\\re");
        assert_eq!(field(Value::Null, "text"), "\\N");
        assert_eq!(field(json!(7), "bigint"), "7");
        assert_eq!(field(json!(true), "boolean"), "t");
        assert_eq!(field(json!([{"a": "x\ty"}]), "jsonb"), "[{\"a\":\"x\\\\ty\"}]");
        assert_eq!(
            field(json!(["a\"b", "c\\d"]), "text[]"),
            "{\"a\\\\\"b\",\"c\\\\\\\\d\"}"
        );
        assert_eq!(field(json!([]), "uuid[]"), "{}");
        // A JSON string in a json column stays a JSON string.
        assert_eq!(field(json!("x"), "json"), "\"x\"");
    }

    #[test]
    fn rows_follow_the_first_rows_columns_and_skip_fields_that_are_no_column() {
        let types = [("id", "bigint"), ("name", "text")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let mut t = Table::new(types);
        t.push(&json!({"id": 1, "extra": "x", "name": "Ann"}));
        t.push(&json!({"name": null, "id": 2}));
        assert_eq!(t.columns, ["id", "name"]);
        assert_eq!(String::from_utf8(t.data).unwrap(), "1\tAnn\n2\t\\N\n");
    }
}
