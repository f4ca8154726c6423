//! Authentication primitives: argon2id password hashing/verification and signed, expiring tokens.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString, rand_core::OsRng};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::Semaphore;
use uuid::Uuid;

use crate::domain::user::{HashError, PasswordHash, PasswordHasher};

type HmacSha256 = Hmac<Sha256>;

/// argon2id (the crate's defaults: v19, m=19 MiB, t=2, p=1) off the async threads, a few at a time.
pub struct Argon2Hasher {
    permits: Arc<Semaphore>,
}

impl Default for Argon2Hasher {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Argon2Hasher {
            permits: Arc::new(Semaphore::new(cores * 2)),
        }
    }
}

impl Argon2Hasher {
    async fn blocking<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let _permit = self.permits.acquire().await.map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| HashError(e.to_string()))
    }

    /// Checks `password` against `hash`; with no hash, still spends the same effort (no timing hint).
    pub async fn verify(&self, password: &SecretString, hash: Option<&PasswordHash>) -> bool {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let password = password.clone();
        let (phc, real) = match hash {
            Some(h) => (h.as_str().to_string(), true),
            None => (
                DUMMY
                    .get_or_init(|| hash_now(&SecretString::from("dummy-password".to_string())).unwrap_or_default())
                    .clone(),
                false,
            ),
        };
        let ok = self
            .blocking(move || {
                argon2::PasswordHash::new(&phc).is_ok_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.expose_secret().as_bytes(), &parsed)
                        .is_ok()
                })
            })
            .await
            .unwrap_or(false);
        ok && real
    }
}

fn hash_now(password: &SecretString) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

#[async_trait::async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &SecretString) -> Result<PasswordHash, HashError> {
        let password = password.clone();
        self.blocking(move || hash_now(&password)).await?.map(PasswordHash::new)
    }
}

/// Why a token is refused (never shown to clients beyond "unauthorized").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
    #[error("expired")]
    Expired,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
    iat: i64,
    exp: i64,
    /// The user's session generation the token was issued in (`UserRecord::session_generation`).
    /// Left out when 0, so tokens of users who never had one bumped look as they always did, and
    /// tokens issued before generations existed read as 0: valid exactly while the user's is 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[serde(rename = "gen")]
    generation: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What a genuine, unexpired token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bearer {
    pub user: Uuid,
    /// The session generation it was issued in.
    pub generation: u32,
}

/// Issues and checks `v1.<claims>.<hmac-sha256>` tokens signed with `ROLLCALL_AUTH_SECRET`.
#[derive(Clone)]
pub struct Tokens {
    /// HMAC-SHA256 keyed with the secret, before any message: cloned for each MAC, so the key is
    /// prepared once rather than per token and per fingerprint.
    keyed: HmacSha256,
    ttl: Duration,
}

const VERSION: &str = "v1";

impl Tokens {
    pub fn new(secret: SecretString, ttl: Duration) -> Self {
        let keyed =
            HmacSha256::new_from_slice(secret.expose_secret().as_bytes()).expect("HMAC accepts keys of any length");
        Tokens { keyed, ttl }
    }

    fn mac(&self, message: &[u8]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        mac.update(message);
        mac
    }

    /// A token for `user` in session generation 0 that expires `ttl` after `now`.
    pub fn issue(&self, user: Uuid, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        self.issue_in(user, 0, now)
    }

    /// A token for `user` in session `generation` that expires `ttl` after `now`.
    pub fn issue_in(&self, user: Uuid, generation: u32, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let expires = now + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::days(1));
        let claims = Claims {
            sub: user,
            iat: now.timestamp(),
            exp: expires.timestamp(),
            generation,
        };
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signed = format!("{VERSION}.{body}");
        let sig = URL_SAFE_NO_PAD.encode(self.mac(signed.as_bytes()).finalize().into_bytes());
        (format!("{signed}.{sig}"), expires)
    }

    /// Whom (and in which session generation) a token was issued to, if it is genuine and not
    /// expired at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Bearer, TokenError> {
        unexpired(self.open(token)?, now)
    }

    /// What a genuine token says, and when it expires (Unix seconds), without looking at the clock.
    pub fn open(&self, token: &str) -> Result<(Bearer, i64), TokenError> {
        let (signed, sig) = token.trim().rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (version, body) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        if version != VERSION {
            return Err(TokenError::Malformed);
        }
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Malformed)?;
        self.mac(signed.as_bytes())
            .verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&raw).map_err(|_| TokenError::Malformed)?;
        let bearer = Bearer {
            user: claims.sub,
            generation: claims.generation,
        };
        Ok((bearer, claims.exp))
    }

    /// A keyed fingerprint of a request, for idempotency (keeps secrets out of the table).
    pub fn fingerprint(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.mac(b"rollcall-idempotency");
        for p in parts {
            mac.update(&(p.len() as u64).to_be_bytes());
            mac.update(p);
        }
        hex(&mac.finalize().into_bytes())
    }
}

/// The bearer of a token opened by [`Tokens::open`], unless it has expired at `now`.
pub fn unexpired((bearer, expires): (Bearer, i64), now: DateTime<Utc>) -> Result<Bearer, TokenError> {
    if expires <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    Ok(bearer)
}

/// Lower-case hex, without a string per byte.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(secret: &str) -> Tokens {
        Tokens::new(SecretString::from(secret.to_string()), Duration::from_secs(60))
    }

    #[test]
    fn fingerprints_are_the_hex_of_the_keyed_mac_of_length_prefixed_parts() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        let t = tokens(&"s".repeat(32));
        let mut mac = HmacSha256::new_from_slice("s".repeat(32).as_bytes()).unwrap();
        mac.update(b"rollcall-idempotency");
        for part in [&b"ab"[..], b"c"] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(t.fingerprint(&[b"ab", b"c"]), expected);
        assert_ne!(t.fingerprint(&[b"a", b"bc"]), expected, "parts are length-prefixed");
        assert_eq!(
            t.fingerprint(&[b"ab", b"c"]),
            expected,
            "the keyed state is reused, not consumed"
        );
    }

    #[test]
    fn a_token_is_accepted_until_it_expires() {
        let t = tokens(&"s".repeat(32));
        let user = Uuid::new_v4();
        let now = Utc::now();
        let (token, expires) = t.issue(user, now);
        assert_eq!(expires, now + chrono::Duration::seconds(60));
        let bearer = Bearer { user, generation: 0 };
        assert_eq!(t.verify(&token, now), Ok(bearer));
        assert_eq!(
            t.verify(&token, now + chrono::Duration::seconds(61)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_forged_or_tampered_token_is_refused() {
        let now = Utc::now();
        let user = Uuid::new_v4();
        let (token, _) = tokens(&"a".repeat(32)).issue(user, now);
        assert_eq!(
            tokens(&"b".repeat(32)).verify(&token, now),
            Err(TokenError::BadSignature)
        );
        let (head, sig) = token.rsplit_once('.').unwrap();
        let other = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&Claims {
                sub: Uuid::new_v4(),
                iat: 0,
                exp: i64::MAX,
                generation: 0,
            })
            .unwrap(),
        );
        let forged = format!("v1.{other}.{sig}");
        assert_eq!(
            tokens(&"a".repeat(32)).verify(&forged, now),
            Err(TokenError::BadSignature)
        );
        assert_eq!(tokens(&"a".repeat(32)).verify(head, now), Err(TokenError::Malformed));
        assert_eq!(
            tokens(&"a".repeat(32)).verify("garbage", now),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn a_token_carries_its_generation_and_one_without_it_reads_as_zero() {
        let t = tokens(&"s".repeat(32));
        let (user, now) = (Uuid::new_v4(), Utc::now());
        let (token, _) = t.issue_in(user, 3, now);
        assert_eq!(t.verify(&token, now).map(|b| b.generation), Ok(3));
        // A token as issued before generations existed: `{sub, iat, exp}` only.
        let body = URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&json_claims(user, now.timestamp(), now.timestamp() + 60)).unwrap());
        let signed = format!("v1.{body}");
        let sig = URL_SAFE_NO_PAD.encode(t.mac(signed.as_bytes()).finalize().into_bytes());
        let old = format!("{signed}.{sig}");
        assert_eq!(t.verify(&old, now), Ok(Bearer { user, generation: 0 }));
        let (zero, _) = t.issue(user, now);
        assert_eq!(
            zero, old,
            "generation 0 is left out: the token is the one issued before"
        );
    }

    fn json_claims(sub: Uuid, iat: i64, exp: i64) -> serde_json::Value {
        serde_json::json!({"sub": sub, "iat": iat, "exp": exp})
    }

    #[tokio::test]
    async fn argon2id_hashes_verify_and_wrong_passwords_fail() {
        let hasher = Argon2Hasher::default();
        let pw = SecretString::from("correct horse".to_string());
        let hash = hasher.hash(&pw).await.unwrap();
        assert!(hash.as_str().starts_with("$argon2id$"));
        assert!(!hash.as_str().contains("correct horse"));
        assert!(hasher.verify(&pw, Some(&hash)).await);
        assert!(
            !hasher
                .verify(&SecretString::from("wrong".to_string()), Some(&hash))
                .await
        );
        assert!(!hasher.verify(&pw, None).await);
    }
}
