//! Commands on one contact or user, published to JetStream one after another without waiting, take
//! effect in the order the stream holds them (while commands on other streams run at once).

use std::time::Duration;

use async_nats::jetstream;
use rollcall::application::AppError;
use rollcall::domain::person::PersonDraft;
use rollcall::domain::values::ShareType;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{headers, stream_ready};
use crate::helpers::{TestApp, eventually};

/// Publishes every `(command, body)` pipelined (no waiting for one ack before the next publish), so the
/// service pulls them together, then waits until the stream holds them all.
async fn publish_all(js: &jetstream::Context, prefix: &str, token: &str, commands: &[(&str, Value)]) {
    let mut acks = Vec::new();
    for (n, (command, body)) in commands.iter().enumerate() {
        let ack = js
            .publish_with_headers(
                format!("{prefix}.commands.{command}"),
                headers(token, Some(&format!("{command}-{n}-{}", Uuid::new_v4()))),
                serde_json::to_vec(body).unwrap().into(),
            )
            .await
            .expect("published");
        acks.push(ack);
    }
    for ack in acks {
        ack.await.expect("stored by the stream");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn updates_of_one_person_published_at_once_land_in_stream_order() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let meta = t.owner_meta().await;
    let draft = |last: &str| PersonDraft {
        first_name: Some("Ann".into()),
        last_name: Some(last.into()),
        share_type: ShareType::ReadWrite,
        ..Default::default()
    };
    let person = t.app.create_person(&meta, draft("Lee"), None).await.unwrap().id;
    let bystander = t.app.create_person(&meta, draft("Roe"), None).await.unwrap().id;
    // Updates of the person interleaved with updates of another, all in one burst.
    let mut commands = Vec::new();
    for i in 0..40 {
        commands.push(("crm.person.update", json!({"id": person, "about": format!("v{i}")})));
        commands.push(("crm.person.update", json!({"id": bystander, "about": format!("b{i}")})));
    }
    publish_all(&js, &prefix, &token, &commands).await;

    let owner = t.owner().await;
    let done = eventually(Duration::from_secs(30), || async {
        let p = t.app.get_person(&owner, person).await.ok()?;
        let b = t.app.get_person(&owner, bystander).await.ok()?;
        (p.version == 41 && b.version == 41).then_some(p)
    })
    .await
    .expect("every update lands");
    assert_eq!(done.about, "v39", "the last update published is the last applied");
    let abouts: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT payload -> 'PersonUpdated' ->> 'about' FROM events
          WHERE aggregate_type = 'Person' AND aggregate_id = $1 AND sequence > 1 ORDER BY sequence",
    )
    .bind(person.to_string())
    .fetch_all(&t.pool)
    .await
    .unwrap();
    let expected: Vec<Option<String>> = (0..40).map(|i| Some(format!("v{i}"))).collect();
    assert_eq!(
        abouts, expected,
        "events in the order the stream delivered the commands"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_terminate_then_a_delete_published_at_once_delete_the_user() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let mut users = Vec::new();
    for n in 0..8 {
        users.push(t.member(&format!("leaver{n}@example.com"), false).await.id);
    }
    let mut commands = Vec::new();
    for user in &users {
        commands.push(("people.user.status", json!({"userIds": [user], "status": "Terminated"})));
        commands.push(("people.user.delete", json!({"userid": user})));
    }
    publish_all(&js, &prefix, &token, &commands).await;

    let owner = t.owner().await;
    for user in users {
        let gone = eventually(Duration::from_secs(30), || async {
            matches!(t.app.get_user(&owner, user).await, Err(AppError::NotFound(_))).then_some(())
        })
        .await;
        assert!(gone.is_some(), "user {user} was terminated, then deleted");
    }
}
