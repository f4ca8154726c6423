//! Adding and reading users: authorization, unique email, idempotency, no plaintext passwords.

use std::time::Duration;

use rollcall::application::{AppError, Field, RequestMeta, Source};
use rollcall::domain::user::{ActivationStatus, UserDraft, UserStatus};
use uuid::Uuid;

use crate::helpers::{TestApp, secret, user_draft};

#[tokio::test]
async fn an_admin_adds_a_user_who_can_be_read_by_id_name_and_email() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let user = t
        .app
        .create_user(&meta, user_draft("Mike.Zanyatski@Domain.com"))
        .await
        .unwrap();
    assert_eq!(user.user_name.as_str(), "Mike.Zanyatski");
    assert_eq!(user.status, UserStatus::Active);
    assert_eq!(user.activation_status, ActivationStatus::Pending);
    assert_eq!(user.created_by, Some(meta.actor.id));
    let actor = &meta.actor;
    assert_eq!(t.app.get_user(actor, user.id).await.unwrap(), user);
    assert_eq!(t.app.find_user(actor, "mike.zanyatski").await.unwrap(), user);
    assert_eq!(
        t.app
            .get_user_by_email(actor, "MIKE.ZANYATSKI@domain.com")
            .await
            .unwrap(),
        user
    );
    assert!(matches!(
        t.app.get_user(actor, Uuid::new_v4()).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn user_names_count_up_when_the_local_part_is_taken() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let a = t.app.create_user(&meta, user_draft("john@a.io")).await.unwrap();
    let b = t.app.create_user(&meta, user_draft("John@b.io")).await.unwrap();
    let c = t.app.create_user(&meta, user_draft("john@c.io")).await.unwrap();
    assert_eq!(
        [a.user_name.as_str(), b.user_name.as_str(), c.user_name.as_str()],
        ["john", "John1", "john2"]
    );
}

#[tokio::test]
async fn a_non_admin_cannot_add_a_user() {
    let t = TestApp::spawn().await;
    let member = t.member("member@example.com", false).await;
    let result = t
        .app
        .create_user(&RequestMeta::new(member, Source::Test), user_draft("x@y.io"))
        .await;
    assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
}

#[tokio::test]
async fn an_email_already_registered_in_another_case_is_refused() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    t.app.create_user(&meta, user_draft("dup@example.com")).await.unwrap();
    let again = t.app.create_user(&meta, user_draft("DUP@Example.COM")).await;
    assert!(matches!(again, Err(AppError::EmailTaken)), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_creates_with_one_email_give_exactly_one_user() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (app, meta) = (t.app.clone(), meta.clone());
            let email = if i % 2 == 0 {
                "race@example.com"
            } else {
                "RACE@example.COM"
            };
            tokio::spawn(async move { app.create_user(&meta, user_draft(email)).await })
        })
        .collect();
    let (mut ok, mut taken) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(AppError::EmailTaken) => taken += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, taken), (1, 19));
    let users: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE event_type = 'UserCreated' AND lower(payload->'UserCreated'->>'email') = 'race@example.com'",
    )
    .fetch_one(&t.pool)
    .await
    .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn retrying_a_user_create_with_the_same_key_returns_the_first_result() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("user-retry");
    let first = t.app.create_user(&meta, user_draft("retry@example.com")).await.unwrap();
    let again = t.app.create_user(&meta, user_draft("retry@example.com")).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(t.count_events("User", "UserCreated").await, 2, "the owner and one user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_retries_of_a_user_create_leave_one_user() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("user-concurrent");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, meta) = (t.app.clone(), meta.clone());
            tokio::spawn(async move { app.create_user(&meta, user_draft("conc@example.com")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().expect("every retry succeeds").id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(t.count_events("User", "UserCreated").await, 2, "the owner and one user");
}

#[tokio::test]
async fn a_claim_left_by_a_crashed_command_expires_after_the_grace_period() {
    let (mut settings, _) = crate::helpers::test_settings();
    settings.claim_grace = Duration::from_secs(1);
    let t = TestApp::with(settings).await;
    // A command that died after claiming, before appending its event.
    sqlx::query("INSERT INTO user_email_claims (email_key, user_id) VALUES ('ghost@example.com', $1)")
        .bind(Uuid::new_v4())
        .execute(&t.pool)
        .await
        .unwrap();
    let meta = t.owner_meta().await;
    let blocked = t.app.create_user(&meta, user_draft("Ghost@example.com")).await;
    assert!(
        matches!(blocked, Err(AppError::EmailTaken)),
        "a fresh claim blocks: {blocked:?}"
    );
    sqlx::query("UPDATE user_email_claims SET claimed_at = now() - interval '2 seconds'")
        .execute(&t.pool)
        .await
        .unwrap();
    let user = t
        .app
        .create_user(&meta, user_draft("Ghost@example.com"))
        .await
        .expect("a stale claim is taken over");
    assert_eq!(user.email, "Ghost@example.com");
    assert_eq!(
        claim_of(&t, "ghost@example.com").await,
        Some((user.id, true)),
        "the claim is the new user's"
    );
    assert_eq!(
        t.count_events("User", "UserCreated").await,
        2,
        "the owner and the new user"
    );
}

/// Who holds the email claim `key`, and whether it is confirmed.
async fn claim_of(t: &TestApp, key: &str) -> Option<(Uuid, bool)> {
    sqlx::query_as("SELECT user_id, confirmed FROM user_email_claims WHERE email_key = $1")
        .bind(key)
        .fetch_optional(&t.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_confirmed_claim_is_never_taken_over() {
    let (mut settings, _) = crate::helpers::test_settings();
    settings.claim_grace = Duration::from_secs(0);
    let t = TestApp::with(settings).await;
    let meta = t.owner_meta().await;
    t.app.create_user(&meta, user_draft("kept@example.com")).await.unwrap();
    let again = t.app.create_user(&meta, user_draft("kept@example.com")).await;
    assert!(matches!(again, Err(AppError::EmailTaken)), "{again:?}");
}

#[tokio::test]
async fn an_invalid_user_is_refused_with_the_field_and_claims_nothing() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let bad = UserDraft {
        password: Some(secret("short")),
        ..user_draft("weak@example.com")
    };
    match t.app.create_user(&meta, bad).await {
        Err(AppError::Invalid(rejection)) => assert_eq!(rejection.field(), Some(Field::Password)),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(
        claim_of(&t, "weak@example.com").await,
        None,
        "the refused create claimed nothing"
    );
    let ok = t
        .app
        .create_user(&meta, user_draft("weak@example.com"))
        .await
        .expect("the email stays free");
    assert_eq!((ok.email.as_str(), ok.user_name.as_str()), ("weak@example.com", "weak"));
    assert_eq!(claim_of(&t, "weak@example.com").await, Some((ok.id, true)));
}

#[tokio::test]
async fn no_event_holds_the_password_in_any_form_but_its_hash() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("pw-check");
    let password = "Sup3r-Secret-Passw0rd!";
    let draft = UserDraft {
        password: Some(secret(password)),
        ..user_draft("pw@example.com")
    };
    let user = t.app.create_user(&meta, draft).await.unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT payload->'UserCreated'->>'password_hash' FROM events WHERE aggregate_id = $1")
            .bind(user.id.to_string())
            .fetch_one(&t.pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$"), "only the argon2id hash is stored");
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT payload::text || metadata::text FROM events
         UNION ALL SELECT row_to_json(k)::text FROM idempotency_keys k
         UNION ALL SELECT row_to_json(u)::text FROM users u",
    )
    .fetch_all(&t.pool)
    .await
    .unwrap();
    use base64::Engine as _;
    let forms = [
        password.to_string(),
        password.to_lowercase(),
        base64::engine::general_purpose::STANDARD.encode(password),
        password.bytes().map(|b| format!("{b:02x}")).collect(),
        OWNER_PASSWORD_FORM.to_string(),
    ];
    for row in &rows {
        for form in &forms {
            assert!(
                !row.contains(form.as_str()),
                "a row holds the password as {form:?}: {row}"
            );
        }
    }
    let logged_in = t.app.login("pw@example.com", &secret(password)).await;
    assert!(logged_in.is_ok(), "the hash verifies");
}

const OWNER_PASSWORD_FORM: &str = crate::helpers::OWNER_PASSWORD;
