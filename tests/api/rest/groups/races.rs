//! Users created at once into one group all join it, and a group deleted while users join it keeps no
//! member: the joins are appended with each user's create, decided on the group's current state.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{call, group, ids};
use crate::rest::Rest;

/// Creates a user over REST in `department`: the status and the user's `Groups`.
async fn create_in(r: &Rest, token: &str, email: String, department: Value) -> (StatusCode, Value) {
    let body = json!({"email": email, "firstname": "Imported", "lastname": "User", "department": department});
    let (status, body, _) = call(r, Method::POST, "people", token, Some(body), None).await;
    (status, body["response"]["Groups"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn users_created_at_once_into_one_group_all_join_it_and_a_concurrent_delete_leaves_none_in_it() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let id = group(&r, &owner, json!({"groupName": "Imports"})).await;
    let creates = (0..20).map(|i| create_in(&r, &owner, format!("import{i}@example.com"), json!([id])));
    for (status, groups) in futures::future::join_all(creates).await {
        assert_eq!(status, StatusCode::CREATED, "every create lands: {groups}");
        assert_eq!(groups[0]["Id"], json!(id), "and answers with its group");
    }
    let (_, body, etag) = call(&r, Method::GET, &format!("group/{id}"), &owner, None, None).await;
    assert_eq!(
        (ids(&body["response"]["Members"]).len(), etag.as_deref()),
        (20, Some("\"21\""))
    );

    // A group deleted while users join it: every create lands, and no one is left in the deleted group.
    let doomed = group(&r, &owner, json!({"groupName": "Doomed"})).await;
    let creates = (0..10).map(|i| create_in(&r, &owner, format!("late{i}@example.com"), json!([doomed, id])));
    let doomed_path = format!("group/{doomed}");
    let delete = call(&r, Method::DELETE, &doomed_path, &owner, None, None);
    let (created, (deleted, body, _)) = tokio::join!(futures::future::join_all(creates), delete);
    assert_eq!(deleted, StatusCode::OK, "{body}");
    // A create may answer before the delete (with the group in it); afterwards no one is in it.
    assert!(
        created.iter().all(|(status, _)| *status == StatusCode::CREATED),
        "{created:?}"
    );
    for i in 0..10 {
        let path = format!("people/email?email=late{i}@example.com");
        let (_, body, _) = call(&r, Method::GET, &path, &owner, None, None).await;
        assert_eq!(
            body["response"]["Groups"],
            json!([{"Id": id, "Name": "Imports", "Manager": null}])
        );
    }
    let (_, body, _) = call(
        &r,
        Method::GET,
        &format!("people/filter?groupId={doomed}"),
        &owner,
        None,
        None,
    )
    .await;
    assert_eq!(body["total"], 0);
    let (_, body, _) = call(&r, Method::GET, &format!("group/{id}"), &owner, None, None).await;
    assert_eq!(ids(&body["response"]["Members"]).len(), 30);
    let stream: Vec<String> = sqlx::query_scalar(
        "SELECT event_type FROM events WHERE aggregate_type = 'Group' AND aggregate_id = $1 ORDER BY sequence",
    )
    .bind(doomed.to_string())
    .fetch_all(&r.t.pool)
    .await
    .unwrap();
    assert_eq!(
        stream.last().map(String::as_str),
        Some("GroupDeleted"),
        "nothing joins after the delete: {stream:?}"
    );
    let equal = crate::helpers::eventually(std::time::Duration::from_secs(20), || async {
        crate::fold::read_model_difference(&r.t.pool)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    assert!(
        equal.is_some(),
        "{:?}",
        crate::fold::read_model_difference(&r.t.pool).await
    );
}
