//! Read-model rows written in the same statement as the events that make them: a command's answer
//! and its caller's next read then need not wait for the projector (read-your-writes by construction),
//! and the projector's later write of the same row is a no-op (the row already holds that position).
//! Only rows an aggregate still has are written here; a deletion's row is removed by the projector.

use serde::Serialize;

use super::{companies, persons};
use crate::domain::company::Company;
use crate::domain::person::Person;
use crate::persistence::events::{Answer, ViewRows};

/// One view row, as JSON with the table's column names.
pub struct InlineRow {
    pub table: &'static str,
    pub upsert: &'static str,
    /// The row as a JSON object (text).
    pub row: String,
    /// The view's query over rows named by its argument, to answer with the written row itself.
    pub answer: Option<Answer>,
}

impl InlineRow {
    fn of(table: &'static str, upsert: &'static str, row: impl Serialize, answer: Option<Answer>) -> Option<InlineRow> {
        match serde_json::to_string(&row) {
            Ok(row) => Some(InlineRow {
                table,
                upsert,
                row,
                answer,
            }),
            Err(e) => {
                // The projector still writes it: an answer then waits for the projector, as before.
                tracing::warn!(error = %e, table, "a view row could not be serialized; left to the projector");
                None
            }
        }
    }
}

/// A person's row at `version` (its `position` is set by the append); `None` once deleted.
pub fn person(person: &Person, version: i64) -> Option<InlineRow> {
    let record = person.live()?;
    InlineRow::of(
        "persons",
        persons::UPSERT,
        persons::ProjectedRow::of(record, 0, version),
        Some(persons::of_rows),
    )
}

/// A company's row at `version` (its `position` is set by the append); `None` once deleted.
pub fn company(company: &Company, version: i64) -> Option<InlineRow> {
    let record = company.live()?;
    InlineRow::of(
        "companies",
        companies::UPSERT,
        companies::ProjectedRow::of(record, 0, version),
        None,
    )
}

/// Collects the rows of one append, grouped by table. Each aggregate is pushed once, in its state
/// after the append (a table row can be written only once per statement).
#[derive(Default)]
pub struct Collected {
    rows: Vec<(&'static str, InlineRow)>,
}

impl Collected {
    /// Adds the row of an aggregate of `aggregate_type`.
    pub fn push(&mut self, aggregate_type: &'static str, row: InlineRow) {
        self.rows.push((aggregate_type, row));
    }

    /// The rows as the append takes them: one entry per table; with `answer`, the append returns the
    /// rows written as their view's query makes them, where the view has one.
    pub fn into_views(self, answer: bool) -> Vec<ViewRows> {
        let mut views: Vec<ViewRows> = Vec::new();
        for (aggregate_type, row) in self.rows {
            match views.iter_mut().find(|v| v.table == row.table) {
                Some(v) => v.rows.push(row.row),
                None => views.push(ViewRows {
                    aggregate_type,
                    table: row.table,
                    upsert: row.upsert,
                    rows: vec![row.row],
                    answer: row.answer.filter(|_| answer),
                }),
            }
        }
        views
    }
}
