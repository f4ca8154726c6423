//! JSON commands on JetStream land in the read models; the stream and consumer are set up as the
//! interface says, and an operator's settings are kept.

use std::time::Duration;

use async_nats::jetstream;
use rollcall::read_model::ListQuery;
use serde_json::json;

use super::{PERSON, USER, consumer_info, headers, person_json, precreate, publish, stream_ready};
use crate::helpers::{TestApp, eventually, test_settings};

#[tokio::test]
async fn a_json_person_command_lands_in_the_read_model_created_by_the_caller() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    publish(
        &js,
        &prefix,
        PERSON,
        headers(&token, Some("p-1")),
        &person_json("Tadjeddine"),
    )
    .await;

    let owner = t.owner().await;
    let found = eventually(Duration::from_secs(20), || async {
        let page = t.app.list_persons(&owner, &ListQuery::default()).await.unwrap();
        page.items.into_iter().find(|p| p.first_name == "Tadjeddine")
    })
    .await
    .expect("the person is created");
    assert_eq!(found.created_by.id, owner.id);
    assert_eq!(found.title.as_deref(), Some("Programmer"));
    assert_eq!(t.app.get_person(&owner, found.id).await.unwrap(), found);
}

#[tokio::test]
async fn a_json_user_command_lands_in_the_read_model() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    let body = json!({"isVisitor": false, "email": "mike@example.com", "firstname": "Mike", "lastname": "Zanyatski",
        "title": "Manager", "contacts": [{"Type": "GTalk", "Value": "my@gmail.com"}]});
    publish(&js, &prefix, USER, headers(&token, Some("u-1")), &body).await;

    let owner = t.owner().await;
    let user = eventually(Duration::from_secs(20), || async {
        t.app.get_user_by_email(&owner, "mike@example.com").await.ok()
    })
    .await
    .expect("the user is created");
    assert_eq!(
        (user.first_name.as_str(), user.title.as_deref()),
        ("Mike", Some("Manager"))
    );
    assert_eq!(user.contacts.len(), 1);
}

#[tokio::test]
async fn a_command_without_a_message_id_is_handled_once() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let token = t.owner_token().await;
    publish(&js, &prefix, PERSON, headers(&token, None), &person_json("Anonymous")).await;
    super::drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(super::persons_created(&t).await, 1);
}

#[tokio::test]
async fn the_service_creates_the_stream_and_consumer_the_interface_names() {
    let t = TestApp::spawn().await;
    let (js, prefix) = (jetstream::new(t.nats.clone()), t.settings.nats_prefix.clone());
    stream_ready(&js, &prefix).await;
    let mut stream = js.get_stream(format!("{prefix}-commands")).await.unwrap();
    let config = stream.info().await.unwrap().config.clone();
    assert_eq!(config.subjects, vec![format!("{prefix}.commands.>")]);
    assert_eq!(config.storage, jetstream::stream::StorageType::File);
    assert_eq!(config.duplicate_window, Duration::from_secs(120));
    assert_eq!(config.retention, jetstream::stream::RetentionPolicy::WorkQueue);
    let consumer = eventually(Duration::from_secs(10), || async {
        stream.consumer_info(format!("{prefix}-ingest")).await.ok()
    })
    .await
    .expect("the consumer is created");
    assert_eq!(consumer.config.durable_name, Some(format!("{prefix}-ingest")));
    assert_eq!(consumer.config.ack_policy, jetstream::consumer::AckPolicy::Explicit);
    assert_eq!(consumer.config.max_deliver, 10);
    assert!(consumer.config.max_ack_pending > 0);
}

#[tokio::test]
async fn an_operators_stream_and_consumer_settings_are_kept() {
    let (settings, _) = test_settings();
    let prefix = settings.nats_prefix.clone();
    let nats = async_nats::connect(&settings.nats_url).await.unwrap();
    let js = jetstream::new(nats);
    precreate(&js, &prefix, Duration::from_secs(60), Some(Duration::from_secs(7))).await;

    let t = TestApp::with(settings).await;
    let token = t.owner_token().await;
    publish(
        &js,
        &prefix,
        PERSON,
        headers(&token, Some("kept")),
        &person_json("Kept"),
    )
    .await;
    super::drained(&js, &prefix, Duration::from_secs(20)).await;
    assert_eq!(super::persons_created(&t).await, 1, "the existing consumer is used");
    let stream = js.get_stream(format!("{prefix}-commands")).await.unwrap();
    assert_eq!(stream.cached_info().config.duplicate_window, Duration::from_secs(60));
    assert_eq!(
        consumer_info(&js, &prefix).await.unwrap().config.ack_wait,
        Duration::from_secs(7)
    );
}
