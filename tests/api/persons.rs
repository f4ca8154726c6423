//! Creating and reading persons through the application.

use rollcall::application::{AppError, Field, Rejection, RequestMeta, Source};
use rollcall::domain::company::CompanyDraft;
use rollcall::domain::person::{PersonDraft, PersonError};
use rollcall::domain::values::ShareType;
use uuid::Uuid;

use crate::helpers::TestApp;

fn seed() -> PersonDraft {
    PersonDraft {
        first_name: Some("Tadjeddine".into()),
        last_name: Some("Bachir".into()),
        job_title: Some("Programmer".into()),
        about: Some("some text".into()),
        share_type: ShareType::None,
        manager_list: vec![Uuid::nil()],
        ..PersonDraft::default()
    }
}

#[tokio::test]
async fn a_created_person_can_be_read_back_with_the_caller_as_creator() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let created = t.app.create_person(&meta, seed(), None).await.unwrap();
    assert!(created.id > 0);
    assert_eq!(created.created_by.id, meta.actor.id);
    assert_eq!(created.created_by.display_name.as_deref(), Some("Portal Owner"));
    let read = t.app.get_person(&meta.actor, created.id).await.unwrap();
    assert_eq!(read, created);
    assert!(matches!(
        t.app.get_person(&meta.actor, created.id + 1000).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn person_ids_are_distinct_integers() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let a = t.app.create_person(&meta, seed(), None).await.unwrap();
    let b = t.app.create_person(&meta, seed(), None).await.unwrap();
    assert_ne!(a.id, b.id);
}

#[tokio::test]
async fn an_invalid_person_is_refused_with_the_field_and_nothing_is_written() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let draft = PersonDraft {
        first_name: Some("  ".into()),
        ..seed()
    };
    match t.app.create_person(&meta, draft, None).await {
        Err(AppError::Invalid(rejection)) => {
            assert_eq!(rejection, Rejection::Person(PersonError::FirstNameRequired));
            assert_eq!(rejection.field(), Some(Field::FirstName));
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
}

#[tokio::test]
async fn a_visitor_cannot_create_a_person() {
    let t = TestApp::spawn().await;
    let visitor = t.member("guest@example.com", true).await;
    let result = t
        .app
        .create_person(&RequestMeta::new(visitor, Source::Test), seed(), None)
        .await;
    assert!(matches!(result, Err(AppError::Forbidden(_))), "{result:?}");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
}

#[tokio::test]
async fn a_member_who_is_not_a_visitor_can_create_a_person() {
    let t = TestApp::spawn().await;
    let member = t.member("member@example.com", false).await;
    let created = t
        .app
        .create_person(&RequestMeta::new(member.clone(), Source::Test), seed(), None)
        .await
        .unwrap();
    assert_eq!(created.created_by.id, member.id);
}

#[tokio::test]
async fn retrying_a_person_create_with_the_same_key_returns_the_first_result() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("person-retry-1");
    let first = t.app.create_person(&meta, seed(), None).await.unwrap();
    let again = t.app.create_person(&meta, seed(), None).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_retries_of_a_person_create_leave_one_person() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("person-concurrent");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, meta) = (t.app.clone(), meta.clone());
            tokio::spawn(async move { app.create_person(&meta, seed(), None).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().expect("every retry succeeds").id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "all retries return the same person");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 1);
}

/// Creates of many callers at once are committed in batches (group commit), and each caller still gets
/// its own answer: its own person, its own refusal, its own key's id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn creates_that_arrive_together_are_committed_together_and_each_answered_as_its_own() {
    let t = TestApp::spawn().await;
    let owner = t.owner_meta().await;
    let member = RequestMeta::new(t.member("gather@example.com", false).await, Source::Test);
    let hidden = CompanyDraft {
        company_name: Some("Owners only".into()),
        share_type: ShareType::None,
        manager_list: vec![owner.actor.id],
        ..CompanyDraft::default()
    };
    let hidden = t.app.create_company(&owner, hidden, None).await.unwrap().id;
    let keyed = owner.clone().with_idempotency_key("gathered");
    let calls = (0..40).map(|i| {
        let (meta, draft) = match i % 10 {
            3 => (
                member.clone(),
                PersonDraft {
                    company_id: Some(hidden),
                    ..seed()
                },
            ),
            7 => (keyed.clone(), seed()),
            _ => (
                owner.clone(),
                PersonDraft {
                    last_name: Some(format!("Wave{i}")),
                    ..seed()
                },
            ),
        };
        let app = t.app.clone();
        async move { app.create_person(&meta, draft, None).await }
    });
    let answers = futures::future::join_all(calls).await;

    let mut plain = Vec::new();
    let mut keyed_ids = Vec::new();
    for (i, answer) in answers.into_iter().enumerate() {
        match i % 10 {
            3 => assert!(matches!(answer, Err(AppError::NotFound("company"))), "{answer:?}"),
            7 => keyed_ids.push(answer.expect("a keyed create").id),
            _ => {
                let person = answer.expect("a plain create");
                assert_eq!(
                    person.last_name,
                    format!("Wave{i}"),
                    "each caller is answered with its own person"
                );
                assert_eq!(person.created_by.id, owner.actor.id);
                assert_eq!(t.app.get_person(&owner.actor, person.id).await.unwrap(), person);
                plain.push(person.id);
            }
        }
    }
    keyed_ids.dedup();
    assert_eq!(keyed_ids.len(), 1, "one key, one person: {keyed_ids:?}");
    let mut distinct = plain.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 32);
    assert!(!plain.contains(&keyed_ids[0]));
    assert_eq!(t.count_events("Person", "PersonCreated").await, 33);
    let batches = &t.app.metrics().gathered_creates;
    assert!(
        batches.get_sample_sum() > batches.get_sample_count() as f64,
        "some commit carried more than one caller's create: {} creates in {} commits",
        batches.get_sample_sum(),
        batches.get_sample_count()
    );
}

#[tokio::test]
async fn a_key_reused_for_a_different_request_is_refused() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("person-reuse");
    t.app.create_person(&meta, seed(), None).await.unwrap();
    let other = PersonDraft {
        first_name: Some("Someone".into()),
        ..seed()
    };
    assert!(matches!(
        t.app.create_person(&meta, other, None).await,
        Err(AppError::KeyReused)
    ));
    assert_eq!(t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test]
async fn a_retry_after_a_crash_between_the_key_and_the_events_creates_the_same_person() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("person-crash");
    let first = t.app.create_person(&meta, seed(), None).await.unwrap();
    // Simulate a crash after the key row was written but before the events were appended.
    sqlx::query("DELETE FROM events WHERE aggregate_type = 'Person'")
        .execute(&t.pool)
        .await
        .unwrap();
    let healed = t.app.create_person(&meta, seed(), None).await.unwrap();
    assert_eq!(healed.id, first.id, "the retry reuses the recorded id");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test]
async fn a_keyed_create_that_is_refused_leaves_its_key_unused() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("person-refused-first");
    let unknown_company = PersonDraft {
        company_id: Some(999_999),
        ..seed()
    };
    assert!(matches!(
        t.app.create_person(&meta, unknown_company, None).await,
        Err(AppError::NotFound("company"))
    ));
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0, "a key is recorded only with the events of its create");
    // So the key is free for the corrected request, which a retry then replays.
    let created = t.app.create_person(&meta, seed(), None).await.unwrap();
    let again = t.app.create_person(&meta, seed(), None).await.unwrap();
    assert_eq!(again, created);
    assert_eq!(t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test]
async fn a_members_person_of_a_company_answers_exactly_as_it_reads_back() {
    let t = TestApp::spawn().await;
    let member = t.member("maker@example.com", false).await;
    let meta = RequestMeta::new(member.clone(), Source::Test);
    let company = rollcall::domain::company::CompanyDraft {
        company_name: Some("Food and Culture Project".into()),
        share_type: ShareType::Read,
        ..Default::default()
    };
    let company = t.app.create_company(&meta, company, None).await.unwrap();
    assert_eq!(t.app.get_company(&member, company.id).await.unwrap(), company);
    let draft = PersonDraft {
        company_id: Some(company.id),
        manager_list: vec![member.id],
        ..seed()
    };
    let created = t.app.create_person(&meta, draft, None).await.unwrap();
    let linked = created.company.as_ref().expect("the company is nested");
    assert_eq!(linked.name.as_deref(), Some("Food and Culture Project"));
    assert_eq!(created.created_by.user_name.as_deref(), Some("maker"));
    assert_eq!(t.app.get_person(&member, created.id).await.unwrap(), created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_creating_at_once_never_share_a_contact_id() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let other = rollcall::application::App::new(t.pool.clone(), &t.settings, rollcall::read_model::signals().0);
    let run = |app: rollcall::application::App, meta: RequestMeta| {
        tokio::spawn(async move {
            let mut ids = Vec::new();
            for _ in 0..80 {
                ids.push(app.create_person(&meta, seed(), None).await.unwrap().id);
            }
            ids
        })
    };
    let (a, b) = (run(t.app.clone(), meta.clone()), run(other, meta));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    for ids in [&a, &b] {
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "one instance hands ids out in order: {ids:?}"
        );
    }
    let mut all: Vec<i64> = a.iter().chain(&b).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 160, "no id is handed out twice");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 160);
}
