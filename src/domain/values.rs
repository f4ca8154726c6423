//! Validated value types shared by the aggregates: built by `parse`, so an invalid value cannot exist.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest accepted single-line text (names, titles, locations), as ONLYOFFICE's varchar(255).
pub const MAX_LINE: usize = 255;
/// Longest accepted free text (`about`, `comment`).
pub const MAX_TEXT: usize = 8_000;
/// Most entries accepted in any list field (managers, departments, custom fields, contacts).
pub const MAX_LIST: usize = 100;
/// Longest accepted URL (`files`).
pub const MAX_URL: usize = 2_048;

/// How long `s` is in characters.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Trims `s`; `None` when nothing is left.
pub fn non_blank(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

/// An email address as ONLYOFFICE keeps it: the address part only, case preserved.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    /// Accepts `local@domain` or `Display Name <local@domain>`.
    pub fn parse(input: &str) -> Option<Email> {
        let s = input.trim();
        let addr = match (s.rfind('<'), s.ends_with('>')) {
            (Some(open), true) => s[open + 1..s.len() - 1].trim(),
            _ => s,
        };
        if addr.is_empty() || char_len(addr) > Self::MAX_LEN || !addr.is_ascii() {
            return None;
        }
        let (local, domain) = addr.rsplit_once('@')?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let domain_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        (local_ok && domain_ok).then(|| Email(addr.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive identity of the address, used for uniqueness.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    pub fn local_part(&self) -> &str {
        self.0.rsplit_once('@').map_or(self.0.as_str(), |(l, _)| l)
    }
}

/// A portal user name: the email's local part, made unique with a numeric suffix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserName(String);

impl UserName {
    /// Candidates in the order ONLYOFFICE tries them: `john`, `john1`, `john2`, …
    pub fn candidates(email: &Email) -> impl Iterator<Item = UserName> + '_ {
        let base = email.local_part();
        std::iter::once(UserName(base.to_string())).chain((1u32..).map(move |n| UserName(format!("{base}{n}"))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-insensitive identity of the name, used for uniqueness and look-ups.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }

    /// Whether this name is one `candidates(email)` produces (so a command cannot carry any name).
    pub fn derives_from(&self, email: &Email) -> bool {
        let base = email.local_part();
        match self.0.strip_prefix(base) {
            Some("") => true,
            Some(n) => !n.starts_with('0') && n.chars().all(|c| c.is_ascii_digit()) && n.len() <= 9,
            None => false,
        }
    }
}

/// CRM privacy of a contact: 0 private, 1 shared read/write, 2 shared read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ShareType {
    #[default]
    None,
    ReadWrite,
    Read,
}

impl ShareType {
    /// Accepts the number (`0`, `1`, `2`) or the name (`none`, `readWrite`, `read`) in any case.
    pub fn parse(input: &str) -> Option<ShareType> {
        match input.trim().to_ascii_lowercase().as_str() {
            "0" | "none" => Some(ShareType::None),
            "1" | "readwrite" => Some(ShareType::ReadWrite),
            "2" | "read" => Some(ShareType::Read),
            _ => None,
        }
    }

    pub fn from_code(code: i64) -> Option<ShareType> {
        Self::parse(&code.to_string())
    }

    pub fn code(self) -> i32 {
        match self {
            ShareType::None => 0,
            ShareType::ReadWrite => 1,
            ShareType::Read => 2,
        }
    }
}

/// A user's sex as ONLYOFFICE stores it: male, female, or unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// `male`/`female` in any case; anything else means unset, as in ONLYOFFICE.
    pub fn parse_lenient(input: &str) -> Option<Sex> {
        match input.trim().to_ascii_lowercase().as_str() {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Parses a GUID in any .NET form (hyphens or not, braces or not); the all-zero GUID is a value too.
pub fn parse_guid(input: &str) -> Option<Uuid> {
    let s = input.trim();
    let s = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(s);
    Uuid::try_parse(s).ok()
}

/// A stored photo the event refers to (the bytes live outside the event store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoRef {
    /// Content address of the stored bytes (hex SHA-256).
    pub sha256: String,
    pub content_type: String,
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_display_name_addresses_are_accepted_and_keep_their_case() {
        assert_eq!(Email::parse(" Mike@Domain.com ").unwrap().as_str(), "Mike@Domain.com");
        let e = Email::parse("John Smith <John.Smith@example.io>").unwrap();
        assert_eq!(e.as_str(), "John.Smith@example.io");
        assert_eq!(e.key(), "john.smith@example.io");
        assert_eq!(e.local_part(), "John.Smith");
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "",
            "abc",
            "@x.io",
            "a@",
            "a@@b.io",
            "a b@c.io",
            "a@b..io",
            ".a@b.io",
            "a..b@c.io",
            "a@-b.io",
            "ä@b.io",
            "a@b_c.io",
        ] {
            assert!(Email::parse(bad).is_none(), "{bad:?} should be rejected");
        }
        assert!(Email::parse(&format!("{}@b.io", "a".repeat(65))).is_none());
    }

    #[test]
    fn user_name_candidates_follow_the_local_part_then_count_up() {
        let e = Email::parse("Mike.Zanyatski@domain.com").unwrap();
        let names: Vec<_> = UserName::candidates(&e).take(3).map(|n| n.0).collect();
        assert_eq!(names, ["Mike.Zanyatski", "Mike.Zanyatski1", "Mike.Zanyatski2"]);
        assert!(UserName("Mike.Zanyatski12".into()).derives_from(&e));
        assert!(!UserName("Mike.Zanyatski01".into()).derives_from(&e));
        assert!(!UserName("admin".into()).derives_from(&e));
    }

    #[test]
    fn share_type_accepts_numbers_and_names_in_any_case() {
        assert_eq!(ShareType::parse("none"), Some(ShareType::None));
        assert_eq!(ShareType::parse("ReadWrite"), Some(ShareType::ReadWrite));
        assert_eq!(ShareType::parse("READ"), Some(ShareType::Read));
        assert_eq!(ShareType::parse("2"), Some(ShareType::Read));
        assert_eq!(ShareType::parse("3"), None);
        assert_eq!(ShareType::parse("public"), None);
        assert_eq!(ShareType::ReadWrite.code(), 1);
    }

    #[test]
    fn sex_is_male_female_or_unset() {
        assert_eq!(Sex::parse_lenient("MALE"), Some(Sex::Male));
        assert_eq!(Sex::parse_lenient("female"), Some(Sex::Female));
        assert_eq!(Sex::parse_lenient("some text"), None);
    }

    #[test]
    fn guids_are_read_in_dotnet_forms() {
        let g = parse_guid("9924256A-739C-462b-AF15-E652A3B1B6EB").unwrap();
        assert_eq!(g.to_string(), "9924256a-739c-462b-af15-e652a3b1b6eb");
        assert_eq!(parse_guid("{9924256a739c462baf15e652a3b1b6eb}"), Some(g));
        assert!(parse_guid("not-a-guid").is_none());
    }
}

/// One field of an update: left out (keep its value), explicitly emptied (`null` or `""`: clear it),
/// or a new value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}
