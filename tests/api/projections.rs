//! The catch-up projector: commit-safe order, crash safety, rebuild under load, several instances.

use std::time::Duration;

use rollcall::application::{Actor, App, Expect, RequestMeta, Source};
use rollcall::domain::company::CompanyDraft;
use rollcall::domain::datetime::ApiDateTime;
use rollcall::domain::group::{GroupDraft, GroupPatch};
use rollcall::domain::person::{CustomFieldInput, PersonCreated, PersonDraft, PersonEvent, PersonPatch};
use rollcall::domain::user::{ContactInput, UserDraft};
use rollcall::domain::values::{Patch, Sex, ShareType};
use rollcall::persistence::feed;
use rollcall::read_model::rebuild;
use secrecy::ExposeSecret;

use crate::fold::{count_events, read_model_difference};
use crate::helpers::binary;
use crate::helpers::{TestApp, eventually, test_settings, user_draft};

fn draft(name: &str) -> PersonDraft {
    PersonDraft {
        first_name: Some(name.into()),
        last_name: Some("Doe".into()),
        ..PersonDraft::default()
    }
}

fn company(name: &str) -> CompanyDraft {
    CompanyDraft {
        company_name: Some(name.into()),
        ..CompanyDraft::default()
    }
}

/// Appends a PersonCreated event by hand inside `tx`, as postgres-es would.
async fn append_person(tx: &mut sqlx::PgConnection, id: i64, name: &str) {
    let event = PersonEvent::PersonCreated(PersonCreated {
        id,
        fields: draft(name).validate().unwrap(),
        created_by: uuid::Uuid::nil(),
        created_at: ApiDateTime::parse("2025-01-10T10:00:00Z").unwrap(),
    });
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         VALUES ('Person', $1, 1, 'PersonCreated', '1', $2, '{}')",
    )
    .bind(id.to_string())
    .bind(serde_json::to_value(event).unwrap())
    .execute(tx)
    .await
    .unwrap();
}

async fn next_id(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT nextval('crm_contact_id_seq')")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Waits until the read models equal the fold of the events; the last difference otherwise.
async fn converges(pool: &sqlx::PgPool) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match read_model_difference(pool).await {
            None => return Ok(()),
            Some(difference) if tokio::time::Instant::now() >= deadline => return Err(difference),
            Some(_) => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
}

/// The `i`-th of a mixed load that fills every column of every read model: a company every third
/// step (with `companies`), a group every tenth, a user every fifth (in every group), and a person
/// each time (in the last company, with every field).
async fn create_mixed(app: &App, meta: &RequestMeta, i: usize, company: &mut Option<i64>, companies: bool) {
    if companies && i.is_multiple_of(3) {
        let draft = CompanyDraft {
            company_name: Some(format!("Company {i} GmbH")),
            about: Some(format!("About company {i}")),
            share_type: ShareType::Read,
            manager_list: vec![meta.actor.id],
            ..CompanyDraft::default()
        };
        *company = Some(app.create_company(meta, draft, None).await.unwrap().id);
    }
    // Groups: one every tenth step, headed by the caller; users join every group there is; one is
    // renamed and one deleted now and then.
    if i.is_multiple_of(10) {
        let draft = GroupDraft {
            name: Some(format!("Team {i}")),
            // The service itself (a system actor) is no user to head a group.
            manager: (!meta.actor.is_system()).then_some(meta.actor.id),
            members: vec![],
        };
        app.create_group(meta, draft).await.unwrap();
    }
    let groups = app.list_groups(&meta.actor).await.unwrap();
    if i % 40 == 25
        && let Some(first) = groups.first()
    {
        let rename = GroupPatch {
            name: Some(format!("Renamed {i}")),
            ..GroupPatch::default()
        };
        app.update_group(meta, first.id, rename, Expect::default())
            .await
            .unwrap();
    }
    if i % 40 == 35
        && let Some(last) = groups.last()
    {
        app.delete_group(meta, last.id, Expect::default()).await.unwrap();
    }
    if i.is_multiple_of(5) {
        let draft = UserDraft {
            department: groups.iter().map(|g| g.id).collect(),
            title: Some("Engineer".into()),
            location: Some("Riga".into()),
            sex: Some(Sex::Female),
            birthday: Some(ApiDateTime::parse("1990-02-03T00:00:00Z").unwrap()),
            comment: Some("notes".into()),
            contacts: vec![ContactInput {
                kind: "skype".into(),
                value: format!("user{i}"),
            }],
            lead: Some(meta.actor.id),
            ..user_draft(&format!("User{i}@Example.com"))
        };
        app.create_user(meta, draft).await.unwrap();
    }
    let draft = PersonDraft {
        job_title: Some(format!("Title {i}")),
        company_id: *company,
        about: Some(format!("About {i}")),
        share_type: ShareType::ReadWrite,
        manager_list: vec![meta.actor.id],
        custom_field_list: vec![CustomFieldInput {
            key: 7,
            value: Some(format!("v{i}")),
        }],
        ..draft(&format!("Mixed{i}"))
    };
    app.create_person(meta, draft, None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_order_commits_and_rollbacks_are_never_skipped() {
    let (mut settings, _) = test_settings();
    settings.read_your_writes = Duration::from_millis(200);
    let t = TestApp::with(settings).await;
    let meta = t.owner_meta().await;

    // An append that stays open while later appends commit: it has the lower position.
    let mut held = t.pool.begin().await.unwrap();
    let held_id = next_id(&t.pool).await;
    append_person(&mut held, held_id, "Held").await;
    // An append that rolls back: its position is burnt.
    let mut rolled = t.pool.begin().await.unwrap();
    let rolled_id = next_id(&t.pool).await;
    append_person(&mut rolled, rolled_id, "RolledBack").await;
    rolled.rollback().await.unwrap();
    // Later appends commit while the first is still open (for seconds: each create waits for a
    // projector that cannot pass the open transaction).
    for i in 0..6 {
        t.app
            .create_person(&meta, draft(&format!("Later{i}")), None)
            .await
            .unwrap();
    }
    held.commit().await.unwrap();

    converges(&t.pool).await.expect("the read models match the events");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM persons")
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), 7);
    assert!(ids.contains(&held_id) && !ids.contains(&rolled_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_killed_between_commit_and_projection_leaves_no_gap_after_restart() {
    let (mut settings, _) = test_settings();
    settings.read_your_writes = Duration::from_millis(50);
    let _cleanup = binary::Cleanup(settings.clone());
    let mut served = binary::serve(&settings).await;
    let pool = sqlx::PgPool::connect(settings.database.url.expose_secret())
        .await
        .unwrap();
    // A writer without a projector of its own: the child's projector is the only one.
    let writer = App::new(pool.clone(), &settings, rollcall::read_model::signals().0);
    let meta = RequestMeta::new(Actor::system(), Source::Test);

    // Pin the snapshot xmin so the child's projector provably cannot apply what follows.
    let mut pin = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *pin)
        .await
        .unwrap();
    let mut company = None;
    for i in 0..10 {
        create_mixed(&writer, &meta, i, &mut company, true).await;
    }
    // (Persons' and companies' rows are written with their events; the projector is what must catch up.)
    let behind: bool = sqlx::query_scalar(
        "SELECT coalesce((SELECT global_position FROM projector_checkpoints WHERE name = 'read_models'), 0)
              < (SELECT max(global_position) FROM events)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(behind, "committed but not yet projected");

    served.kill().await;
    pin.commit().await.unwrap();

    let restarted = binary::serve(&settings).await;
    converges(&pool)
        .await
        .expect("events committed before the crash are projected");
    let projected: (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM companies), (SELECT count(*) FROM users)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(projected, (10, 4, 3), "persons, companies, and the owner and two users");
    drop(restarted);
}

/// Rebuilds again and again while a writer runs `steps` of the mixed load from step `from` (companies
/// only before `companies_until`), then checks the read models against the events.
async fn rebuild_under_load(t: &TestApp, from: usize, companies_until: usize) {
    let meta = t.owner_meta().await;
    let mut company = None;
    for i in 0..from {
        create_mixed(&t.app, &meta, i, &mut company, true).await;
    }
    let (app, writer_meta) = (t.app.clone(), meta.clone());
    let writer = tokio::spawn(async move {
        for i in from..120 {
            create_mixed(&app, &writer_meta, i, &mut company, i < companies_until).await;
        }
    });
    let mut rebuilt = 0;
    while !writer.is_finished() || rebuilt == 0 {
        let done = rebuild::rebuild(&t.pool, |_| {})
            .await
            .expect("rebuild succeeds under load");
        assert!(done.events > 0);
        rebuilt += 1;
    }
    writer.await.expect("every create succeeds during the rebuilds");
    if let Err(difference) = converges(&t.pool).await {
        panic!("after {rebuilt} rebuilds the read models differ from the events: {difference}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_under_write_load_ends_equal_to_the_events() {
    let t = TestApp::spawn().await;
    let indexes_before = indexes(&t.pool).await;
    // Companies (and persons in them) before the rebuilds, persons and users during them.
    rebuild_under_load(&t, 30, 30).await;
    // Reads keep working on the swapped-in tables, which carry the migrations' indexes by their names.
    let meta = t.owner_meta().await;
    let page = t.app.list_persons(&meta.actor, &Default::default()).await.unwrap();
    assert_eq!(page.total, 120);
    assert_eq!(indexes(&t.pool).await, indexes_before);
}

/// A company read (`SELECT … FROM companies … (SELECT count(*) FROM persons …)`, e.g. the
/// read-your-writes fetch of a create) locks companies → persons, while `rollcall_swap_rebuild()`
/// renames persons → users → companies: the swap waits briefly for its locks and gives way, so
/// neither the client's create nor the rebuild fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_companies_are_created_ends_equal_to_the_events() {
    let t = TestApp::spawn().await;
    rebuild_under_load(&t, 0, 120).await;
}

/// Every index of the read-model tables: name and definition.
async fn indexes(pool: &sqlx::PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes
          WHERE tablename IN ('persons', 'companies', 'users', 'groups') ORDER BY indexname",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_rebuild_command_prints_progress_and_its_rate() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    for i in 0..5 {
        t.app.create_person(&meta, draft(&format!("P{i}")), None).await.unwrap();
    }
    // The rebuild reads the feed up to the commit-safe horizon, which a transaction of any database
    // of the server holds back (other tests run in parallel). Once the projector has passed every
    // event, so has the horizon, and the rebuild's count is exact.
    projector_past_every_event(&t.pool).await;
    let out = binary::command(&t.settings)
        .args(["projections", "rebuild"])
        .stdout(std::process::Stdio::piped())
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("6 events") && stdout.contains("events/s"), "{stdout}");
    converges(&t.pool).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_produce_the_same_read_models_and_events_as_one() {
    let (settings, _) = test_settings();
    // Only one of the two may publish: a second publisher would show as extra messages.
    crate::events_out::precreate_events_without_dedupe(&settings).await;
    let tap = crate::events_out::EventTap::start(&settings).await;
    let a = TestApp::with(settings.clone()).await;
    let b = TestApp::with(settings).await;
    let (meta_a, meta_b) = (a.owner_meta().await, b.owner_meta().await);
    let mut tasks = Vec::new();
    for i in 0..15 {
        let (app, meta) = (a.app.clone(), meta_a.clone());
        tasks.push(tokio::spawn(async move {
            app.create_person(&meta, draft(&format!("A{i}")), None).await.unwrap()
        }));
        let (app, meta) = (b.app.clone(), meta_b.clone());
        tasks.push(tokio::spawn(async move {
            app.create_person(&meta, draft(&format!("B{i}")), None).await.unwrap()
        }));
    }
    for task in tasks {
        let created = task.await.unwrap();
        // Read-your-writes holds on either instance.
        assert_eq!(a.app.get_person(&meta_a.actor, created.id).await.unwrap(), created);
        assert_eq!(b.app.get_person(&meta_b.actor, created.id).await.unwrap(), created);
    }
    converges(&a.pool).await.unwrap();
    let events = count_events(&a.pool).await;
    let applied = eventually(Duration::from_secs(10), || async {
        let n: i64 = sqlx::query_scalar("SELECT events_applied FROM projector_checkpoints WHERE name = 'read_models'")
            .fetch_one(&a.pool)
            .await
            .unwrap();
        (n == events).then_some(n)
    })
    .await;
    assert_eq!(
        applied,
        Some(events),
        "each event is applied exactly once across both projectors"
    );
    let published = crate::events_out::published_ids(&a, events).await;
    assert_eq!(published.len() as i64, events, "each event is stored exactly once");
    tap.published_once(events).await;
}

/// The rebuild's fill writes the row of an aggregate met for the first time by `COPY` and upserts the
/// others: a person whose events lie in different fill batches (10,000 events each) ends as its last
/// event made it, and one deleted in a later batch is gone (a second `COPY` of either would fail).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_over_streams_spread_across_fill_batches_ends_equal_to_the_events() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let kept = t.app.create_person(&meta, draft("Kept"), None).await.unwrap();
    let gone = t.app.create_person(&meta, draft("Gone"), None).await.unwrap();
    // More than a fill batch of other persons between their creation and their changes.
    sqlx::query(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         SELECT 'Person', g::text, 1, 'PersonCreated', '1',
                jsonb_set(jsonb_set(e.payload, '{PersonCreated,id}', to_jsonb(g)),
                          '{PersonCreated,first_name}', to_jsonb('Filler' || g)), e.metadata
           FROM generate_series(1000000, 1010500) AS g,
                (SELECT payload, metadata FROM events WHERE aggregate_type = 'Person' AND aggregate_id = $1) AS e",
    )
    .bind(kept.id.to_string())
    .execute(&t.pool)
    .await
    .unwrap();
    let patch = PersonPatch {
        first_name: Patch::Set("Renamed".into()),
        ..Default::default()
    };
    t.app
        .update_person(&meta, kept.id, patch, None, Expect::default())
        .await
        .unwrap();
    t.app.delete_person(&meta, gone.id, Expect::default()).await.unwrap();

    // Past the commit-safe horizon first (see `the_rebuild_command_prints_progress_and_its_rate`).
    projector_past_every_event(&t.pool).await;
    let done = rebuild::rebuild(&t.pool, |_| {}).await.expect("the rebuild succeeds");
    assert!(done.events > 10_500, "{done:?}");
    converges(&t.pool).await.unwrap();
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, first_name FROM persons WHERE id = ANY($1)")
        .bind(vec![kept.id, gone.id])
        .fetch_all(&t.pool)
        .await
        .unwrap();
    assert_eq!(rows, vec![(kept.id, "Renamed".to_string())]);
}

/// Every projector commit is announced on `rollcall_projected`, so another instance's publisher and
/// read-your-writes waiters wake at once instead of at their next poll.
#[tokio::test]
async fn a_projector_commit_is_announced_to_listeners() {
    let t = TestApp::spawn().await;
    let mut listener = sqlx::postgres::PgListener::connect_with(&t.pool).await.unwrap();
    listener.listen(feed::PROJECTED).await.unwrap();
    let meta = t.owner_meta().await;
    t.app.create_person(&meta, draft("Announced"), None).await.unwrap();
    let heard = tokio::time::timeout(Duration::from_secs(10), listener.recv()).await;
    assert!(matches!(heard, Ok(Ok(_))), "no announcement: {heard:?}");
}

/// Waits until the projector's checkpoint is past every event committed so far.
async fn projector_past_every_event(pool: &sqlx::PgPool) {
    let last: i64 = sqlx::query_scalar("SELECT coalesce(max(global_position), 0) FROM events")
        .fetch_one(pool)
        .await
        .unwrap();
    let projected = eventually(Duration::from_secs(10), || async {
        let at: i64 =
            sqlx::query_scalar("SELECT global_position FROM projector_checkpoints WHERE name = 'read_models'")
                .fetch_one(pool)
                .await
                .unwrap();
        (at >= last).then_some(())
    })
    .await;
    assert!(projected.is_some(), "the projector did not reach event {last}");
}

/// A row written with its events is left alone when the projector reaches those events: no row lock
/// (which would set the tuple's `xmax` and write a WAL record) for a write that changes nothing.
#[tokio::test]
async fn the_projector_leaves_rows_written_with_their_events_untouched() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let company = t
        .app
        .create_company(&meta, company("Untouched Ltd"), None)
        .await
        .unwrap();
    let person = t.app.create_person(&meta, draft("Untouched"), None).await.unwrap();
    projector_past_every_event(&t.pool).await;
    for (table, id) in [("persons", person.id), ("companies", company.id)] {
        let xmax: String = sqlx::query_scalar(&format!("SELECT xmax::text FROM {table} WHERE id = $1"))
            .bind(id)
            .fetch_one(&t.pool)
            .await
            .unwrap();
        assert_eq!(xmax, "0", "the projector locked the {table} row {id}");
    }
    converges(&t.pool).await.unwrap();
}

/// The live projector's read marks the events whose aggregate's row is already at or past the
/// aggregate's last position in the batch, without their payloads; a stale or missing row, and every
/// aggregate without a numeric-keyed view, keeps its payload to be folded.
#[tokio::test]
async fn the_live_read_leaves_out_the_payloads_of_rows_already_written() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let company = t.app.create_company(&meta, company("Written Ltd"), None).await.unwrap();
    let stale = t.app.create_person(&meta, draft("Stale"), None).await.unwrap();
    let missing = t.app.create_person(&meta, draft("Missing"), None).await.unwrap();
    let fresh = t.app.create_person(&meta, draft("Fresh"), None).await.unwrap();
    projector_past_every_event(&t.pool).await;
    // Behind the checkpoint, so the running projector leaves these rows as they are now.
    sqlx::query("UPDATE persons SET position = position - 1 WHERE id = $1")
        .bind(stale.id)
        .execute(&t.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM persons WHERE id = $1")
        .bind(missing.id)
        .execute(&t.pool)
        .await
        .unwrap();
    let mut conn = t.pool.acquire().await.unwrap();
    let xmin = feed::snapshot_xmin(&mut conn).await.unwrap();
    let rows = feed::read_unwritten_payloads_after(&mut conn, feed::Cursor::default(), xmin, 1_000)
        .await
        .unwrap();
    let of = |kind: &str, id: i64| {
        rows.iter()
            .find(|r| r.aggregate_type == kind && r.aggregate_id == id.to_string())
            .unwrap_or_else(|| panic!("no event of {kind} {id}"))
    };
    for (kind, id, written) in [
        ("Company", company.id, true),
        ("Person", fresh.id, true),
        ("Person", stale.id, false),
        ("Person", missing.id, false),
    ] {
        let row = of(kind, id);
        assert_eq!(row.written, written, "{kind} {id}");
        assert_eq!(
            row.payload.is_empty(),
            written,
            "{kind} {id}: payload {:?}",
            row.payload
        );
    }
    let stale_event: PersonEvent = serde_json::from_str::<serde_json::Value>(&of("Person", stale.id).payload)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .expect("the payload of a stale row's event, whole");
    assert!(matches!(stale_event, PersonEvent::PersonCreated(c) if c.id == stale.id));
    assert!(
        rows.iter()
            .filter(|r| r.aggregate_type == "User")
            .all(|r| !r.written && !r.payload.is_empty())
    );
    assert!(rows.windows(2).all(|w| w[0].cursor() < w[1].cursor()), "in feed order");
}

/// A transaction open elsewhere on the server holds the commit-safe horizon below the events written
/// after it began; the rebuild waits for it (bounded) instead of leaving those events to the live
/// projector, so it rebuilds everything committed when it started.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rebuild_waits_for_a_transaction_that_holds_the_horizon_and_rebuilds_every_event() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    projector_past_every_event(&t.pool).await;
    let mut blocker = t.pool.begin().await.unwrap();
    let _xid: String = sqlx::query_scalar("SELECT pg_current_xact_id()::text")
        .fetch_one(&mut *blocker)
        .await
        .unwrap();
    for i in 0..5 {
        t.app.create_person(&meta, draft(&format!("H{i}")), None).await.unwrap();
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&t.pool)
        .await
        .unwrap();
    let pool = t.pool.clone();
    let rebuilding = tokio::spawn(async move { rebuild::rebuild(&pool, |_| {}).await });
    // The long transaction ends while the rebuild runs (well within the rebuild's bound).
    tokio::time::sleep(Duration::from_millis(800)).await;
    blocker.commit().await.unwrap();
    let done = rebuilding.await.unwrap().expect("the rebuild succeeds");
    assert_eq!(done.events, total as u64, "{done:?}");
    converges(&t.pool).await.unwrap();
}
