//! Logging in and checking tokens.

use std::time::Duration;

use rollcall::application::AppError;
use rollcall::application::auth::Tokens;
use uuid::Uuid;

use crate::helpers::{OWNER_EMAIL, OWNER_PASSWORD, TestApp, secret};

#[tokio::test]
async fn the_owner_logs_in_by_email_or_user_name_and_is_an_admin() {
    let t = TestApp::spawn().await;
    let by_email = t.actor_for(&OWNER_EMAIL.to_lowercase(), OWNER_PASSWORD).await;
    assert!(by_email.is_owner && by_email.is_admin && !by_email.is_visitor);
    let by_name = t.actor_for("Owner", OWNER_PASSWORD).await;
    assert_eq!(by_name, by_email);
}

#[tokio::test]
async fn wrong_credentials_are_refused_without_saying_which_part_was_wrong() {
    let t = TestApp::spawn().await;
    let wrong_password = t.app.login(OWNER_EMAIL, &secret("not-the-password")).await;
    let unknown_user = t.app.login("nobody@example.com", &secret(OWNER_PASSWORD)).await;
    assert!(matches!(wrong_password, Err(AppError::Unauthenticated)));
    assert!(matches!(unknown_user, Err(AppError::Unauthenticated)));
}

#[tokio::test]
async fn a_forged_token_is_refused() {
    let t = TestApp::spawn().await;
    let owner = t.owner().await;
    let forger = Tokens::new(secret(&"y".repeat(40)), Duration::from_secs(3600));
    let (forged, _) = forger.issue(owner.id, chrono::Utc::now());
    assert!(matches!(
        t.app.authenticate(Some(&forged)).await,
        Err(AppError::Unauthenticated)
    ));
    assert!(matches!(
        t.app.authenticate(Some("v1.e30.AAAA")).await,
        Err(AppError::Unauthenticated)
    ));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let t = TestApp::spawn().await;
    let owner = t.owner().await;
    let tokens = Tokens::new(t.settings.auth.secret.clone(), Duration::from_secs(60));
    let (old, _) = tokens.issue(owner.id, chrono::Utc::now() - chrono::Duration::seconds(120));
    assert!(matches!(
        t.app.authenticate(Some(&old)).await,
        Err(AppError::Unauthenticated)
    ));
    let (fresh, _) = tokens.issue(owner.id, chrono::Utc::now());
    assert_eq!(
        t.app.authenticate(Some(&fresh)).await.unwrap(),
        owner,
        "the same key, unexpired, works"
    );
}

#[tokio::test]
async fn a_genuine_token_for_an_unknown_user_is_refused() {
    let t = TestApp::spawn().await;
    let tokens = Tokens::new(t.settings.auth.secret.clone(), Duration::from_secs(60));
    let (token, _) = tokens.issue(Uuid::new_v4(), chrono::Utc::now());
    assert!(matches!(
        t.app.authenticate(Some(&token)).await,
        Err(AppError::Unauthenticated)
    ));
}
