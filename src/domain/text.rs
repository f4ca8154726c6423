//! The one rule for characters in text input, shared by every edge (REST bodies, queries and paths,
//! NATS JSON, gRPC and protobuf payloads, idempotency keys): text is refused when it holds a control
//! character, because such input is never meant as text, breaks the XML answers (XML 1.0 cannot carry
//! most of them) and PostgreSQL cannot store U+0000 at all.
//!
//! Refused: the Unicode controls (category Cc: U+0000–U+001F and U+007F–U+009F) except tab (U+0009),
//! line feed (U+000A) and carriage return (U+000D), which multi-line text needs; and the
//! noncharacters U+FFFE and U+FFFF. Everything else is text.

/// Text that holds a refused character (the first one found).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must not contain control characters (found U+{:04X})", u32::from(*.0))]
pub struct ControlCharacter(pub char);

/// Whether `c` is refused in text input.
pub fn is_refused(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// `Ok` when `s` holds no refused character.
pub fn check(s: &str) -> Result<(), ControlCharacter> {
    match s.chars().find(|c| is_refused(*c)) {
        Some(c) => Err(ControlCharacter(c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_other_than_tab_and_line_ends_are_refused() {
        for bad in [
            "\u{0}",
            "a\u{1}b",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
            "\u{fffe}",
            "x\u{ffff}",
        ] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        for good in [
            "",
            "Ann",
            "line one\r\n\tline two",
            "Zoë 李 🙂",
            "\u{a0}",
            "\u{fffd}",
            "\u{200b}",
        ] {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn the_message_names_the_character_but_never_the_field() {
        assert_eq!(
            check("a\u{0}").unwrap_err().to_string(),
            "must not contain control characters (found U+0000)"
        );
        assert_eq!(
            ControlCharacter('\u{9f}').to_string(),
            "must not contain control characters (found U+009F)"
        );
    }
}
