//! The identity cache (docs/DESIGN-NOTES.md §11): a cached user is authenticated without reading the
//! database; the instance that commits a termination refuses the user's token on the next request,
//! another instance as soon as the change's notification arrives; reactivation revives no old token;
//! and the cache is bypassed and cleared when its channel loses its connection.

use std::net::SocketAddr;
use std::time::Duration;

use rollcall::application::{App, RequestMeta, Source};
use rollcall::domain::user::UserStatus;
use rollcall::persistence::identity_channel::Evictions;
use uuid::Uuid;

use super::people_lifecycle::{member, set_many};
use super::{Rest, second_instance};
use crate::helpers::{MEMBER_PASSWORD, eventually};

/// How long another instance may take to hear of a change.
const NOTIFIED_WITHIN: Duration = Duration::from_secs(5);

/// Waits until `app`'s identity cache is trusted (its channel listens).
async fn listening(app: &App) {
    let ready = eventually(NOTIFIED_WITHIN, || async {
        app.identities().is_listening().then_some(())
    })
    .await;
    ready.expect("the identity channel listens");
}

fn cache_count(app: &App, outcome: &str) -> u64 {
    app.metrics().identity_cache.with_label_values(&[outcome]).get()
}

/// `GET people/@self` on the instance at `http`: its status.
async fn whoami(r: &Rest, http: SocketAddr, token: &str) -> u16 {
    let url = format!("http://{http}/api/2.0/people/@self");
    let res = r.client.get(url).header("Authorization", token).send().await.unwrap();
    res.status().as_u16()
}

/// `whoami` until it answers 401, within [`NOTIFIED_WITHIN`].
async fn refused_soon(r: &Rest, http: SocketAddr, token: &str) -> bool {
    let refused = eventually(NOTIFIED_WITHIN, || async {
        (whoami(r, http, token).await == 401).then_some(())
    });
    refused.await.is_some()
}

#[tokio::test]
async fn a_cached_user_is_authenticated_without_reading_the_database() {
    let r = Rest::spawn().await;
    let app = &r.t.app;
    listening(app).await;
    let (ann, token) = member(&r, "ann@example.com").await;
    assert_eq!(whoami(&r, r.t.http_addr, &token).await, 200);
    let hits = cache_count(app, "hit");
    assert_eq!(whoami(&r, r.t.http_addr, &token).await, 200);
    assert_eq!(cache_count(app, "hit"), hits + 1, "the second request is a hit");

    // Gone from the event store behind the application's back (no notification): a hit still knows
    // Ann, which it could not if it read her stream.
    sqlx::query("DELETE FROM events WHERE aggregate_type = 'User' AND aggregate_id = $1")
        .bind(&ann)
        .execute(&r.t.pool)
        .await
        .unwrap();
    assert_eq!(whoami(&r, r.t.http_addr, &token).await, 200, "answered from the cache");
    assert_eq!(cache_count(app, "hit"), hits + 2);
}

#[tokio::test]
async fn the_instance_that_terminates_a_user_refuses_their_cached_token_on_the_next_request() {
    let r = Rest::spawn().await;
    listening(&r.t.app).await;
    let owner = r.owner_token().await;
    let (ann, token) = member(&r, "ann@example.com").await;
    for _ in 0..2 {
        assert_eq!(whoami(&r, r.t.http_addr, &token).await, 200);
    }
    set_many(&r, &owner, "people/status/Terminated", &[&ann]).await;
    assert_eq!(whoami(&r, r.t.http_addr, &token).await, 401, "refused at once");
}

#[tokio::test]
async fn without_any_notification_the_committing_instance_still_forgets_the_users_it_changed() {
    let r = Rest::spawn().await;
    // An instance with no channel at all, its cache trusted by hand: only its own append can evict.
    let app = App::new(r.t.pool.clone(), &r.t.settings, rollcall::read_model::signals().0);
    app.identities().listening();
    let (ann, token) = member(&r, "ann@example.com").await;
    for _ in 0..2 {
        app.authenticate(Some(&token)).await.expect("accepted while active");
    }
    assert_eq!(cache_count(&app, "hit"), 1, "cached");
    let meta = RequestMeta::new(r.t.owner().await, Source::Test);
    let ann: Uuid = ann.parse().unwrap();
    app.set_user_status(&meta, &[ann], UserStatus::Terminated)
        .await
        .unwrap();
    assert!(
        app.authenticate(Some(&token)).await.is_err(),
        "refused on the next call"
    );
}

#[tokio::test]
async fn another_instance_refuses_a_terminated_users_cached_token_once_notified_and_reactivation_revives_nothing() {
    let r = Rest::spawn().await;
    let b = second_instance(&r).await;
    listening(&r.t.app).await;
    listening(&b.app).await;
    let owner = r.owner_token().await;
    let (ann, old_token) = member(&r, "ann@example.com").await;
    assert_eq!(whoami(&r, b.http, &old_token).await, 200);
    let hits = cache_count(&b.app, "hit");
    assert_eq!(whoami(&r, b.http, &old_token).await, 200);
    assert_eq!(cache_count(&b.app, "hit"), hits + 1, "cached on the other instance");

    // Terminated through the first instance: refused there at once, on the other one once notified.
    set_many(&r, &owner, "people/status/Terminated", &[&ann]).await;
    assert_eq!(whoami(&r, r.t.http_addr, &old_token).await, 401);
    assert!(
        refused_soon(&r, b.http, &old_token).await,
        "refused on the other instance"
    );

    set_many(&r, &owner, "people/status/Active", &[&ann]).await;
    let new_token = r.login("ann@example.com", MEMBER_PASSWORD).await;
    let accepted = eventually(NOTIFIED_WITHIN, || async {
        (whoami(&r, b.http, &new_token).await == 200).then_some(())
    });
    assert!(accepted.await.is_some(), "a new login works on the other instance");
    for http in [r.t.http_addr, b.http] {
        assert_eq!(
            whoami(&r, http, &old_token).await,
            401,
            "the old token stays refused on {http}"
        );
    }
}

#[tokio::test]
async fn another_instance_refuses_the_tokens_of_a_changed_password_once_notified() {
    let r = Rest::spawn().await;
    let b = second_instance(&r).await;
    listening(&b.app).await;
    let (ann, token) = member(&r, "ann@example.com").await;
    for _ in 0..2 {
        assert_eq!(whoami(&r, b.http, &token).await, 200);
    }
    let path = format!("people/{ann}/password");
    let res = super::people_lifecycle::put(&r, &path, &token).json(&serde_json::json!({"password": "new-secret-99"}));
    assert_eq!(res.send().await.unwrap().status(), 200);
    assert!(
        refused_soon(&r, b.http, &token).await,
        "the old session ends on the other instance"
    );
}

#[tokio::test]
async fn a_lost_channel_connection_bypasses_and_clears_the_cache_until_it_listens_again() {
    let r = Rest::spawn().await;
    let app = &r.t.app;
    listening(app).await;
    let (_, token) = member(&r, "ann@example.com").await;
    for _ in 0..2 {
        assert_eq!(whoami(&r, r.t.http_addr, &token).await, 200);
    }
    assert!(!app.identities().is_empty());

    let killed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'rollcall-identity'",
    )
    .fetch_all(&r.t.pool)
    .await
    .unwrap();
    assert_eq!(killed, [true], "one listening connection");
    let cleared = eventually(NOTIFIED_WITHIN, || async { app.identities().is_empty().then_some(()) });
    assert!(cleared.await.is_some(), "the cache forgets everyone");
    listening(app).await;
    let misses = cache_count(app, "miss") + cache_count(app, "bypass");
    assert_eq!(whoami(&r, r.t.http_addr, &token).await, 200);
    assert_eq!(
        cache_count(app, "miss") + cache_count(app, "bypass"),
        misses + 1,
        "read again"
    );
}
