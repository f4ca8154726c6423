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
use sqlx::PgConnection;

mod line;
mod text;

use line::Table;

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
                t.push(row).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
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
            let columns: Vec<String> = t.columns.iter().map(|c| quote_ident(&c.name)).collect();
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
