//! Streams this instance changed lately, kept as their stored events make them (each at its version),
//! so that deciding the next command on one loads only the events appended after that version
//! (usually none) rather than its whole history, on the writer's side as with a snapshot.
//!
//! Events are never changed or removed, so a kept state is never wrong, only possibly behind (another
//! instance appended since): the load always reads every event after the kept version, and the append
//! is still checked against the stored version. A state is kept only after its append committed, and
//! only as the stored payloads make it (`store` applies the serialized events, not the in-memory ones).
//! Only streams that were loaded are kept, not fresh creates: a bulk of creates leaves this empty.
//! Bounded: at `CAPACITY` streams, an eighth of them is dropped.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Mutex;

/// Streams kept at most.
pub const CAPACITY: usize = 10_000;

/// One kept stream: its aggregate (a `Decided<A>`, type-erased) by aggregate type and id.
type Entry = Box<dyn Any + Send>;

pub struct Kept {
    streams: Mutex<HashMap<(&'static str, String), Entry>>,
    capacity: usize,
}

impl Default for Kept {
    fn default() -> Self {
        Kept::new(CAPACITY)
    }
}

impl Kept {
    pub fn new(capacity: usize) -> Kept {
        Kept {
            streams: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The kept state of stream (`kind`, `id`), if there is one of type `T`.
    pub fn get<T: Clone + 'static>(&self, kind: &'static str, id: &str) -> Option<T> {
        let streams = self.lock();
        streams
            .get(&(kind, id.to_string()))
            .and_then(|e| e.downcast_ref::<T>())
            .cloned()
    }

    /// Keeps `states` of streams of `kind` (each replaces what was kept of its stream).
    pub fn put<T: Send + 'static>(&self, kind: &'static str, states: impl IntoIterator<Item = (String, T)>) {
        let mut streams = self.lock();
        for (id, state) in states {
            if streams.len() >= self.capacity && !streams.contains_key(&(kind, id.clone())) {
                let drop: Vec<_> = streams.keys().take((self.capacity / 8).max(1)).cloned().collect();
                for key in drop {
                    streams.remove(&key);
                }
            }
            streams.insert((kind, id), Box::new(state));
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(&'static str, String), Entry>> {
        // A panic while holding the lock leaves only whole entries behind: the map is still usable.
        self.streams.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_state_is_found_by_kind_and_id_and_replaced_by_a_later_one() {
        let kept = Kept::new(10);
        kept.put("Person", [("1".to_string(), 3_i64)]);
        assert_eq!(kept.get::<i64>("Person", "1"), Some(3));
        assert_eq!(kept.get::<i64>("Company", "1"), None);
        assert_eq!(
            kept.get::<String>("Person", "1"),
            None,
            "another type is not this state"
        );
        kept.put("Person", [("1".to_string(), 4_i64)]);
        assert_eq!(kept.get::<i64>("Person", "1"), Some(4));
        assert_eq!(kept.len(), 1);
    }

    #[test]
    fn beyond_its_capacity_it_drops_streams_rather_than_grow() {
        let kept = Kept::new(16);
        kept.put("Person", (0..100).map(|i| (i.to_string(), i)));
        assert!(kept.len() <= 16, "{} kept", kept.len());
        assert_eq!(kept.get::<i32>("Person", "99"), Some(99), "the newest is kept");
    }
}
