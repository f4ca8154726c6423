//! What one record may weigh. Its event carries it, and every event must fit in one NATS message
//! (1 MiB by default) together with its envelope, metadata and headers, so each aggregate refuses a
//! draft whose validated content is heavier than [`MAX_RECORD_BYTES`] as JSON.

use serde::Serialize;

use super::field::Field;

/// Most bytes the validated content of one record may take as JSON, escapes included: half of NATS's
/// default `max_payload`, which leaves the rest for the event's envelope, metadata and headers.
pub const MAX_RECORD_BYTES: usize = 512 * 1024;

/// How many bytes `value` takes as JSON, without building it.
pub fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Plain data into a writer that never fails: serializing cannot fail either.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// The field to blame when a record's parts (each field with its [`json_len`]) together weigh more
/// than [`MAX_RECORD_BYTES`]: the heaviest, the one worth shortening. `None` when the record fits.
pub fn too_large(parts: &[(Field, usize)]) -> Option<Field> {
    let total: usize = parts.iter().map(|(_, n)| n).sum();
    if total <= MAX_RECORD_BYTES {
        return None;
    }
    parts.iter().max_by_key(|(_, n)| *n).map(|(field, _)| *field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_len_counts_escapes_and_multibyte_characters() {
        assert_eq!(json_len("a"), 3);
        assert_eq!(json_len("\u{1}"), 8, "a control character is written as \\u0001");
        assert_eq!(json_len("語"), 5, "three bytes of UTF-8 and the quotes");
        assert_eq!(
            json_len(&vec!["a", "b"]),
            serde_json::to_vec(&["a", "b"]).unwrap().len()
        );
    }

    #[test]
    fn the_heaviest_part_is_blamed_only_when_the_total_is_over() {
        let fits = [(Field::About, MAX_RECORD_BYTES - 10), (Field::FirstName, 10)];
        assert_eq!(too_large(&fits), None);
        let over = [(Field::About, MAX_RECORD_BYTES - 10), (Field::CustomFields, 11)];
        assert_eq!(too_large(&over), Some(Field::About));
    }
}
