//! `App::create_persons`: many creates decided together and appended in one insert, with the same
//! idempotency as one create, and a fallback to one by one when the insert conflicts.

use rollcall::application::{AppError, RequestMeta};
use rollcall::domain::person::PersonDraft;

use crate::helpers::TestApp;

fn draft(first: &str) -> PersonDraft {
    PersonDraft {
        first_name: Some(first.into()),
        last_name: Some("Batch".into()),
        ..PersonDraft::default()
    }
}

async fn events_named(t: &TestApp, first: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE aggregate_type = 'Person'
            AND payload -> 'PersonCreated' ->> 'first_name' = $1",
    )
    .bind(first)
    .fetch_one(&t.pool)
    .await
    .unwrap()
}

fn ids(outcomes: &[Result<i64, AppError>]) -> Vec<i64> {
    outcomes
        .iter()
        .map(|o| *o.as_ref().unwrap_or_else(|e| panic!("{e:?}")))
        .collect()
}

#[tokio::test]
async fn keys_are_idempotent_within_a_batch_and_across_batches() {
    let t = TestApp::spawn().await;
    let owner = t.owner_meta().await;
    let keyed = |key: &str| owner.clone().with_idempotency_key(key);
    let batch = || {
        vec![
            (keyed("k-ann"), draft("Ann")),
            (keyed("k-bob"), draft("Bob")),
            (keyed("k-ann"), draft("Ann")),
            (keyed("k-bob"), draft("Other")),
            (owner.clone(), draft(" ")),
        ]
    };
    let first = t.app.create_persons(batch()).await;
    assert_eq!(
        first[0].as_ref().unwrap(),
        first[2].as_ref().unwrap(),
        "the same key, the same person"
    );
    assert_ne!(first[0].as_ref().unwrap(), first[1].as_ref().unwrap());
    assert!(matches!(first[3], Err(AppError::KeyReused)), "{:?}", first[3]);
    assert!(matches!(first[4], Err(AppError::Invalid { .. })), "{:?}", first[4]);

    let again = t.app.create_persons(batch()).await;
    assert_eq!(
        ids(&again[..3]),
        ids(&first[..3]),
        "a retried batch answers with the first ids"
    );
    assert!(matches!(again[3], Err(AppError::KeyReused)));
    assert_eq!((events_named(&t, "Ann").await, events_named(&t, "Bob").await), (1, 1));
    assert_eq!(events_named(&t, "Other").await, 0);

    // One create through the one-by-one path answers with the batch's person.
    let single = t.app.create_person(&keyed("k-bob"), draft("Bob"), None).await.unwrap();
    assert_eq!(single.id, *first[1].as_ref().unwrap());
}

#[tokio::test]
async fn a_key_whose_events_were_lost_is_healed_by_the_next_batch() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("k-crash");
    let id = ids(&t.app.create_persons(vec![(meta.clone(), draft("Crash"))]).await)[0];
    // As if the process had died after recording the key and before appending the event.
    sqlx::query("DELETE FROM events WHERE aggregate_type = 'Person' AND aggregate_id = $1")
        .bind(id.to_string())
        .execute(&t.pool)
        .await
        .unwrap();
    let healed = ids(&t.app.create_persons(vec![(meta, draft("Crash"))]).await)[0];
    assert_eq!(healed, id, "the retry creates the id the key recorded");
    assert_eq!(events_named(&t, "Crash").await, 1);
}

#[tokio::test]
async fn a_batch_whose_insert_conflicts_falls_back_and_creates_each_person_once() {
    let t = TestApp::spawn().await;
    let owner: RequestMeta = t.owner_meta().await;
    // Whoever appends the id the batch will allocate second makes its multi-row insert fail.
    let last: i64 = sqlx::query_scalar("SELECT nextval('crm_contact_id_seq')")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let squatter = t.app.create_persons(vec![(owner.clone(), draft("Squatter"))]).await;
    assert_eq!(ids(&squatter), [last + 1]);
    // The sequence handed out `last` before; now it hands it out again, then `last + 1`.
    sqlx::query("SELECT setval('crm_contact_id_seq', $1, false)")
        .bind(last)
        .execute(&t.pool)
        .await
        .unwrap();

    let names = ["One", "Two", "Three"];
    let outcomes = t
        .app
        .create_persons(names.iter().map(|n| (owner.clone(), draft(n))).collect())
        .await;
    let created = ids(&outcomes);
    assert!(
        !created.contains(&(last + 1)),
        "the squatter's id is not taken twice: {created:?}"
    );
    for name in names.iter().chain(&["Squatter"]) {
        assert_eq!(events_named(&t, name).await, 1, "{name}");
    }
}
