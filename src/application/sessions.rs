//! Logging in, checking tokens, and the bootstrap owner.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use tracing::instrument;
use uuid::Uuid;

use super::auth::{Bearer, unexpired};
use super::identities::{Known, Lookup};
use super::{Actor, App, AppError, RequestMeta, Source};
use crate::config::AdminSettings;
use crate::domain::user::{UserDraft, UserRole};
use crate::domain::values::Email;
use crate::persistence::claims::{self, Claim};

/// A token and when it stops being accepted.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires: DateTime<Utc>,
}

/// Users already looked up while authenticating one batch of messages (`None`: not an active user),
/// with the session generation each is in: every token is still checked against it. Tokens whose
/// signature was checked in the batch are kept with their expiry, which is checked every time.
#[derive(Debug, Default)]
pub struct Actors {
    users: HashMap<Uuid, Known>,
    tokens: HashMap<String, (Bearer, i64)>,
}

/// The owner's id is fixed, so concurrent or repeated bootstraps can only ever create one owner.
pub fn owner_id() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, b"rollcall:portal-owner")
}

impl App {
    /// Checks a user name or email and password; the answer never says which part was wrong.
    #[instrument(skip_all)]
    pub async fn login(&self, user_name: &str, password: &SecretString) -> Result<IssuedToken, AppError> {
        let key = user_name.trim();
        let holder = match Email::parse(key) {
            Some(email) if key.contains('@') => claims::holder(self.pool(), Claim::Emails, &email.key()).await?,
            _ => claims::holder(self.pool(), Claim::UserNames, &key.to_lowercase()).await?,
        };
        let user = match holder {
            Some(id) => self.load_user(id).await?,
            None => None,
        };
        let hash = user.as_ref().and_then(|u| u.password_hash.as_ref());
        let verified = self.inner.hasher.verify(password, hash).await;
        match user {
            Some(u) if verified && u.is_active() => {
                let (token, expires) = self.inner.tokens.issue_in(u.id, u.session_generation, Utc::now());
                tracing::info!(user_id = %u.id, "login succeeded");
                Ok(IssuedToken { token, expires })
            }
            _ => {
                tracing::info!("login refused");
                Err(AppError::Unauthenticated)
            }
        }
    }

    /// The actor behind an `Authorization` value as it arrived on any transport (`<token>` or
    /// `Bearer <token>`): a genuine, unexpired token of an existing, active user, issued in the user's
    /// current session generation, so a reactivation never revives a token issued before the
    /// termination. The user comes from the identity cache when it holds them (no database round
    /// trip), else from their stream. The cache is exact on this instance as soon as a termination,
    /// deletion or password change commits, and on every other instance once its notification arrives
    /// (milliseconds; never later than the cache's 60 s TTL); it is bypassed while it cannot be trusted
    /// (docs/DESIGN-NOTES.md §11).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Actor, AppError> {
        self.authenticate_cached(authorization, &mut Actors::default()).await
    }

    /// `authenticate` for many messages at once: every token is still checked (signature and expiry),
    /// but each user is looked up once per `Actors` (which lives for one batch of messages).
    pub async fn authenticate_cached(
        &self,
        authorization: Option<&str>,
        cache: &mut Actors,
    ) -> Result<Actor, AppError> {
        let token = authorization.and_then(bearer_token).ok_or(AppError::Unauthenticated)?;
        let opened = match cache.tokens.get(token) {
            Some(opened) => Ok(*opened),
            None => self.inner.tokens.open(token).inspect(|opened| {
                cache.tokens.insert(token.to_string(), *opened);
            }),
        };
        let bearer = opened.and_then(|opened| unexpired(opened, Utc::now())).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            AppError::Unauthenticated
        })?;
        let known = match cache.users.get(&bearer.user) {
            Some(known) => known.clone(),
            None => {
                let known = self.identity(bearer.user).await?;
                cache.users.insert(bearer.user, known.clone());
                known
            }
        };
        match known {
            Some((actor, generation)) if generation == bearer.generation => Ok(actor),
            Some(_) => {
                tracing::debug!(user_id = %bearer.user, "token of an earlier session generation refused");
                Err(AppError::Unauthenticated)
            }
            None => Err(AppError::Unauthenticated),
        }
    }

    /// What the identity cache knows of `user`, or what their stream says (kept unless the cache
    /// changed meanwhile, see `identities`).
    async fn identity(&self, user: Uuid) -> Result<Known, AppError> {
        let identities = &self.inner.identities;
        let lookup = identities.lookup(user, Instant::now());
        let outcome = match &lookup {
            Lookup::Hit(_) => "hit",
            Lookup::Miss(_) => "miss",
            Lookup::Bypass => "bypass",
        };
        self.inner.metrics.identity_cache.with_label_values(&[outcome]).inc();
        let ticket = match lookup {
            Lookup::Hit(known) => return Ok(known),
            Lookup::Miss(ticket) => Some(ticket),
            Lookup::Bypass => None,
        };
        let known = self
            .load_user(user)
            .await?
            .filter(|u| u.is_active())
            .map(|u| (Actor::from_user(&u), u.session_generation));
        if let Some(ticket) = ticket {
            identities.insert(ticket, user, known.clone());
        }
        Ok(known)
    }

    /// Whether the portal owner has been created (by this or any other instance).
    pub async fn owner_exists(&self) -> Result<bool, AppError> {
        Ok(self.load_user(owner_id()).await?.is_some())
    }

    /// Creates the portal owner unless one exists. Safe to run on every start and on many instances.
    #[instrument(skip_all)]
    pub async fn ensure_owner(&self, admin: &AdminSettings) -> Result<(), AppError> {
        let id = owner_id();
        if let Some(owner) = self.load_user(id).await? {
            if !owner.email.as_str().eq_ignore_ascii_case(admin.email.trim()) {
                tracing::warn!("ROLLCALL_ADMIN_EMAIL differs from the existing owner's; the owner is kept");
            }
            return Ok(());
        }
        let draft = UserDraft {
            email: Some(admin.email.clone()),
            first_name: Some("Portal".into()),
            last_name: Some("Owner".into()),
            password: Some(admin.password.clone()),
            ..UserDraft::default()
        };
        let meta = RequestMeta::new(Actor::system(), Source::Bootstrap);
        self.create_user_as(&meta, draft, UserRole::Owner, Some(id)).await?;
        tracing::info!(user_id = %id, "portal owner created");
        Ok(())
    }
}

/// The token of an `Authorization` value: after a case-insensitive `Bearer` scheme, or the whole
/// value; `None` when nothing is left (`Bearer` alone is no token, not the token "Bearer").
fn bearer_token(value: &str) -> Option<&str> {
    let value = value.trim();
    let token = match value.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        None if value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_and_bare_tokens_are_read_and_a_bare_scheme_is_no_token() {
        assert_eq!(bearer_token("Bearer abc.def"), Some("abc.def"));
        assert_eq!(bearer_token("bearer  abc.def "), Some("abc.def"));
        assert_eq!(bearer_token("BEARER\tabc"), Some("abc"));
        assert_eq!(bearer_token("abc.def"), Some("abc.def"));
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer   "), None);
        assert_eq!(bearer_token(""), None);
    }
}
