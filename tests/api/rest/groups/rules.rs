//! Who may change groups (admins and the owner; members and visitors only read), and what is refused:
//! unknown groups (404), and managers, members or names that break a rule (400 naming the field).

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{call, group, ids, user};
use crate::rest::{Rest, error_message, response};

#[tokio::test]
async fn members_and_visitors_read_groups_but_only_admins_change_them() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let member = r.member_token("mem@example.com", false).await;
    let visitor = r.member_token("vis@example.com", true).await;
    let (ann, _) = user(&r, "ann@example.com", "Ann").await;
    let id = group(&r, &owner, json!({"groupName": "Sales", "members": [ann]})).await;

    for token in [&member, &visitor] {
        let (status, body, _) = call(&r, Method::GET, "group", token, None, None).await;
        assert_eq!(response(status, &body, 200).as_array().unwrap().len(), 1);
        let (status, body, _) = call(&r, Method::GET, &format!("group/{id}"), token, None, None).await;
        assert_eq!(ids(&response(status, &body, 200)["Members"]), [ann]);
    }
    let members = Some(json!({"members": [ann]}));
    let changes = [
        (Method::POST, "group".to_string(), Some(json!({"groupName": "Mine"}))),
        (Method::PUT, format!("group/{id}"), Some(json!({"groupName": "Mine"}))),
        (Method::PUT, format!("group/{id}/members"), members.clone()),
        (Method::POST, format!("group/{id}/members"), members.clone()),
        (Method::DELETE, format!("group/{id}/members"), members),
        (Method::PUT, format!("group/{id}/manager"), Some(json!({"userid": ann}))),
        (Method::DELETE, format!("group/{id}"), None),
    ];
    for token in [&member, &visitor] {
        for (method, path, body) in &changes {
            let (status, answer, _) = call(&r, method.clone(), path, token, body.clone(), None).await;
            error_message(status, &answer, 403);
        }
    }
    let (_, body, etag) = call(&r, Method::GET, &format!("group/{id}"), &owner, None, None).await;
    assert_eq!(
        (body["response"]["Name"].as_str(), etag.as_deref()),
        (Some("Sales"), Some("\"1\"")),
        "nothing changed"
    );
    assert_eq!(r.t.count_events("Group", "GroupCreated").await, 1);
}

#[tokio::test]
async fn unknown_groups_are_404_and_a_manager_or_member_who_is_no_user_is_400_naming_the_field() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, _) = user(&r, "ann@example.com", "Ann").await;
    let nobody = Uuid::new_v4();
    let unknown = format!("group/{nobody}");
    for (method, path) in [
        (Method::GET, unknown.clone()),
        (Method::PUT, unknown.clone()),
        (Method::DELETE, unknown.clone()),
        (Method::PUT, format!("{unknown}/members")),
        (Method::PUT, format!("{unknown}/manager")),
    ] {
        let body = json!({"groupName": "x", "members": [ann], "userid": ann});
        let (status, answer, _) = call(&r, method, &path, &owner, Some(body), None).await;
        error_message(status, &answer, 404);
    }
    let (status, body, _) = call(&r, Method::GET, &format!("group/user/{nobody}"), &owner, None, None).await;
    error_message(status, &body, 404);

    let refused = |body: Value, field: &'static str| {
        let r = &r;
        let owner = owner.clone();
        async move {
            let (status, answer, _) = call(r, Method::POST, "group", &owner, Some(body), None).await;
            let message = error_message(status, &answer, 400);
            assert!(message.starts_with(&format!("{field}:")), "{message}");
            message
        }
    };
    let message = refused(json!({"groupName": "Sales", "groupManager": nobody}), "groupManager").await;
    assert!(message.contains(&nobody.to_string()), "names the user: {message}");
    refused(json!({"groupName": "Sales", "members": [ann, nobody]}), "members").await;
    refused(json!({"members": [ann]}), "groupName").await;
    refused(json!({"groupName": "x".repeat(129)}), "groupName").await;
    refused(json!({"groupName": "Sales", "members": ["not a guid"]}), "members").await;
    assert_eq!(
        r.t.count_events("Group", "GroupCreated").await,
        0,
        "nothing refused was created"
    );

    let id = group(&r, &owner, json!({"groupName": "Sales"})).await;
    let (status, body, _) = call(
        &r,
        Method::PUT,
        &format!("group/{id}/manager"),
        &owner,
        Some(json!({"userid": nobody})),
        None,
    )
    .await;
    assert!(error_message(status, &body, 400).starts_with("userid:"));
    let (status, body, _) = call(
        &r,
        Method::PUT,
        &format!("group/{id}/manager"),
        &owner,
        Some(json!({})),
        None,
    )
    .await;
    assert!(error_message(status, &body, 400).starts_with("userid:"));
    let (status, body, _) = call(
        &r,
        Method::PUT,
        &format!("group/{id}/members"),
        &owner,
        Some(json!({"members": [nobody]})),
        None,
    )
    .await;
    assert!(error_message(status, &body, 400).starts_with("members:"));
    let (status, body, _) = call(
        &r,
        Method::PUT,
        &format!("group/{id}"),
        &owner,
        Some(json!({"groupName": " "})),
        None,
    )
    .await;
    assert!(error_message(status, &body, 400).starts_with("groupName:"));
    let (status, body, _) = call(&r, Method::GET, "group/not-a-guid", &owner, None, None).await;
    assert!(error_message(status, &body, 400).starts_with("id:"));
    let (_, body, etag) = call(&r, Method::GET, &format!("group/{id}"), &owner, None, None).await;
    assert_eq!(
        (body["response"]["Members"].clone(), etag.as_deref()),
        (json!([]), Some("\"1\""))
    );
}
