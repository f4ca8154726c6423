//! Password policy and the hashing seam: the domain decides, an injected service hashes.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// ONLYOFFICE's default policy: 8 to 120 printable ASCII characters, no spaces.
pub fn check_password_policy(password: &SecretString) -> bool {
    let p = password.expose_secret();
    (8..=120).contains(&p.len()) && p.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// A PHC-format password hash (argon2id). Never the password itself.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        PasswordHash(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Turns a password into a salted hash; injected into the aggregate as its service.
#[async_trait::async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &SecretString) -> Result<PasswordHash, HashError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(p: &str) -> bool {
        check_password_policy(&SecretString::from(p.to_string()))
    }

    #[test]
    fn the_policy_wants_8_to_120_printable_ascii_characters() {
        assert!(ok("abcdefgh"));
        assert!(ok(&"a".repeat(120)));
        assert!(!ok("abcdefg"));
        assert!(!ok(&"a".repeat(121)));
        assert!(!ok("abcd efgh"), "spaces are refused");
        assert!(!ok("pässwörd1"), "non-ASCII is refused");
    }

    #[test]
    fn a_hash_never_shows_in_debug_output() {
        let h = PasswordHash::new("$argon2id$v=19$secret".into());
        assert_eq!(format!("{h:?}"), "PasswordHash(<redacted>)");
    }
}
