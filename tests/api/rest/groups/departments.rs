//! `department` on `PUT people/{userid}` moves the user between groups, in the write that records the
//! change: out of the groups it does not name, into those it names that exist. A caller who may not
//! change groups (a user editing their own profile) changes none, as ONLYOFFICE ignores it.

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use super::{call, group, ids, user};
use crate::rest::{Rest, response};

#[tokio::test]
async fn department_on_a_profile_update_moves_the_user_between_groups_and_is_ignored_for_non_admins() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, _) = user(&r, "ann@example.com", "Ann").await;
    let sales = group(&r, &owner, json!({"groupName": "Sales", "groupManager": ann})).await;
    let audit = group(&r, &owner, json!({"groupName": "Audit"})).await;
    let ops = group(&r, &owner, json!({"groupName": "Ops", "members": [ann]})).await;

    // Out of Sales (which she heads) and Ops, into Audit; a GUID that names no group is ignored.
    let body = json!({"department": [audit, Uuid::new_v4()], "title": "Auditor"});
    let path = format!("people/{ann}");
    let (status, body, _) = call(&r, Method::PUT, &path, &owner, Some(body), None).await;
    let updated = response(status, &body, 200);
    assert_eq!(updated["Title"], "Auditor");
    assert_eq!(
        (updated["Groups"].clone(), updated["Department"].clone()),
        (json!([{"Id": audit, "Name": "Audit", "Manager": null}]), json!("Audit"))
    );
    let (_, body, _) = call(&r, Method::GET, &format!("group/{sales}"), &owner, None, None).await;
    assert_eq!(
        (body["response"]["Manager"].clone(), ids(&body["response"]["Members"])),
        (json!(null), vec![])
    );
    let (_, body, _) = call(&r, Method::GET, &format!("group/{ops}"), &owner, None, None).await;
    assert_eq!(ids(&body["response"]["Members"]), Vec::<Uuid>::new());
    // Left out, the groups stay.
    let (status, body, _) = call(&r, Method::PUT, &path, &owner, Some(json!({"location": "Riga"})), None).await;
    assert_eq!(response(status, &body, 200)["Department"], "Audit");

    // A user editing their own profile: the change applies, the department does not.
    let bob_token = r.member_token("bob@example.com", false).await;
    let (status, body, _) = call(&r, Method::GET, "people/@self", &bob_token, None, None).await;
    let bob = response(status, &body, 200)["Id"].as_str().unwrap().to_string();
    let body = json!({"department": [sales], "location": "Oslo"});
    let (status, body, _) = call(&r, Method::PUT, &format!("people/{bob}"), &bob_token, Some(body), None).await;
    let bob_view = response(status, &body, 200);
    assert_eq!(
        (bob_view["Location"].clone(), bob_view["Groups"].clone()),
        (json!("Oslo"), json!([]))
    );
}
