//! What the binders need from a JSON tree, so one set of rules binds both trees: REST's
//! `serde_json::Value` (built from JSON, form and XML bodies) and NATS's borrowed [`Json`](super::json::Json).
//!
//! An object is seen as its entries in order, each key once (as `serde_json::Map` holds them: with
//! `preserve_order`, a repeated key keeps its first place and its last value; `Json` is built the same
//! way). Looking a name up case-insensitively takes the first matching entry, so of two keys that
//! differ only in case the one sent first wins, in both trees.

use serde_json::{Number, Value};

/// A JSON tree the binders can read.
pub trait Node: Sized {
    /// The entries of an object, in order, as `(key, value)`.
    type Entries<'n>: Iterator<Item = (&'n str, &'n Self)> + Clone
    where
        Self: 'n;

    /// What this node is.
    fn view(&self) -> View<'_, Self>;

    fn is_null(&self) -> bool {
        matches!(self.view(), View::Null)
    }
}

/// One node, seen without copying anything out of it.
pub enum View<'n, N: Node + 'n> {
    Null,
    Bool(bool),
    Number(&'n Number),
    Str(&'n str),
    Array(&'n [N]),
    Object(N::Entries<'n>),
}

/// The value of the first entry named `name` in any ASCII case.
pub fn find<'n, N: Node + 'n>(mut entries: N::Entries<'n>, name: &str) -> Option<&'n N> {
    entries.find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
}

type ValueEntry<'n> = (&'n String, &'n Value);

fn value_entry<'n>((k, v): ValueEntry<'n>) -> (&'n str, &'n Value) {
    (k.as_str(), v)
}

impl Node for Value {
    type Entries<'n> = std::iter::Map<serde_json::map::Iter<'n>, fn(ValueEntry<'n>) -> (&'n str, &'n Value)>;

    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(n),
            Value::String(s) => View::Str(s),
            Value::Array(items) => View::Array(items),
            Value::Object(map) => View::Object(map.iter().map(value_entry as fn(_) -> _)),
        }
    }
}
