//! Changes that arrive at once (committed together by group commit): each lands once, in order per
//! contact, and each caller is answered with its own change.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::super::{Rest, error_message, read, response};
use super::ann;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_updates_of_one_contact_all_land_in_order() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let id = r.person(&token, ann()).await;
    let updates = (0..20).map(|i| {
        let (client, url, token) = (
            r.client.clone(),
            r.url(&format!("crm/contact/person/{id}")),
            token.clone(),
        );
        tokio::spawn(async move {
            let res = client
                .put(url)
                .header("Authorization", token)
                .json(&json!({"about": format!("update {i}")}))
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::OK,
                "update {i}: {}",
                res.text().await.unwrap()
            );
        })
    });
    for update in futures::future::join_all(updates).await {
        update.unwrap();
    }
    let abouts: Vec<(i64, Value)> = sqlx::query_as(
        "SELECT sequence, payload -> 'PersonUpdated' -> 'about' FROM events
          WHERE aggregate_type = 'Person' AND aggregate_id = $1 AND sequence > 1 ORDER BY sequence",
    )
    .bind(id.to_string())
    .fetch_all(&r.t.pool)
    .await
    .unwrap();
    assert_eq!(
        abouts.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        (2..=21).collect::<Vec<_>>()
    );
    let mut values: Vec<&str> = abouts.iter().filter_map(|(_, v)| v.as_str()).collect();
    let last = *values.last().unwrap();
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 20, "every update is one event");
    let (_, body, etag) = r.fetch(id, &token).await;
    assert_eq!(
        (body["response"]["about"].as_str(), etag.as_deref()),
        (Some(last), Some("\"21\""))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_of_many_contacts_at_once_each_answer_their_own_change_and_version() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let mut ids = Vec::new();
    for _ in 0..24 {
        ids.push(r.person(&token, ann()).await);
    }
    let updates = ids.iter().enumerate().map(|(i, id)| {
        let put = r
            .send(Method::PUT, &format!("crm/contact/person/{id}"), &token)
            .json(&json!({"about": format!("about {i}"), "jobTitle": format!("title {i}")}));
        tokio::spawn(async move {
            let res = put.send().await.unwrap();
            let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
            let (status, body) = read(res).await;
            (status, body, etag)
        })
    });
    let answers = futures::future::join_all(updates).await;
    for ((i, id), answer) in ids.iter().enumerate().zip(answers) {
        let (status, body, etag) = answer.unwrap();
        let person = response(status, &body, 200);
        assert_eq!(
            (
                person["id"].as_i64(),
                person["about"].as_str(),
                person["title"].as_str(),
                etag.as_deref()
            ),
            (
                Some(*id),
                Some(format!("about {i}").as_str()),
                Some(format!("title {i}").as_str()),
                Some("\"2\"")
            ),
            "the answer to update {i}"
        );
        assert_eq!(person["firstName"], "Ann", "what the change left out is kept");
        let (_, read_back, _) = r.fetch(*id, &token).await;
        assert_eq!(read_back["response"]["about"], format!("about {i}"), "read-your-writes");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_changes_of_one_version_let_exactly_one_through() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let id = r.person(&token, ann()).await;
    let puts = (0..12).map(|i| {
        let put = r
            .send(Method::PUT, &format!("crm/contact/person/{id}"), &token)
            .header("If-Match", "\"1\"")
            .json(&json!({"about": format!("racer {i}")}));
        tokio::spawn(async move {
            let (status, body) = read(put.send().await.unwrap()).await;
            (status, body)
        })
    });
    let mut winners = Vec::new();
    for (i, answer) in futures::future::join_all(puts).await.into_iter().enumerate() {
        let (status, body) = answer.unwrap();
        if status == StatusCode::OK {
            winners.push(format!("racer {i}"));
        } else {
            error_message(status, &body, 412);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let (_, body, etag) = r.fetch(id, &token).await;
    assert_eq!(
        (body["response"]["about"].as_str(), etag.as_deref()),
        (Some(winners[0].as_str()), Some("\"2\""))
    );
}
