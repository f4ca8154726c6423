//! Groups (departments) over REST: every `api/2.0/group` route in JSON and XML, versions (`ETag`,
//! `If-Match` → 412), members and manager, the user wrapper's `Groups` and `Department` (the seed's
//! request verbatim, and with real groups) and `people/filter?groupId=`; who may change groups and
//! what is refused in `rules`; concurrent joins and deletes in `races`.

mod departments;
mod races;
mod rules;

use reqwest::{Method, StatusCode};
use rollcall::domain::user::UserDraft;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Rest, error_message, keys, parse_xml, read, read_text, response, seed_user_request};
use crate::helpers::user_draft;

/// A user added through the application: their GUID and user name.
pub(super) async fn user(r: &Rest, email: &str, first: &str) -> (Uuid, String) {
    let draft = UserDraft {
        first_name: Some(first.into()),
        ..user_draft(email)
    };
    let view = r.t.app.create_user(&r.t.owner_meta().await, draft).await.unwrap();
    (view.id, view.user_name)
}

/// One call: status, body and ETag.
pub(super) async fn call(
    r: &Rest,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> (StatusCode, Value, Option<String>) {
    let mut req = r.client.request(method, r.url(path)).header("Authorization", token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    if let Some(version) = if_match {
        req = req.header("If-Match", version);
    }
    let res = req.send().await.unwrap();
    let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = read(res).await;
    (status, body, etag)
}

/// Creates a group and returns its id.
pub(super) async fn group(r: &Rest, token: &str, body: Value) -> Uuid {
    let (status, body, _) = call(r, Method::POST, "group", token, Some(body), None).await;
    response(status, &body, 201)["Id"].as_str().unwrap().parse().unwrap()
}

pub(super) fn ids(people: &Value) -> Vec<Uuid> {
    people
        .as_array()
        .unwrap_or_else(|| panic!("a list: {people}"))
        .iter()
        .map(|p| p["Id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn a_group_is_created_read_renamed_and_deleted_with_versions_and_its_users_follow() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, ann_name) = user(&r, "ann@example.com", "Ann").await;
    let (bob, _) = user(&r, "bob@example.com", "Bob").await;

    let body = json!({"groupName": " Sales ", "groupManager": ann, "members": [bob, bob]});
    let (status, body, etag) = call(&r, Method::POST, "group", &owner, Some(body), None).await;
    let created = response(status, &body, 201).clone();
    assert_eq!(etag.as_deref(), Some("\"1\""));
    let expected = [
        "Id",
        "Name",
        "Category",
        "Parent",
        "Description",
        "IsLDAP",
        "Manager",
        "Members",
    ];
    assert_eq!(
        keys(&created),
        expected,
        "GroupWrapperFull's keys, in ONLYOFFICE's order"
    );
    assert_eq!(created["Name"], "Sales");
    assert_eq!(
        (created["Category"].clone(), created["Parent"].clone()),
        (json!(Uuid::nil()), json!(Uuid::nil()))
    );
    assert_eq!(created["Manager"]["Id"], json!(ann));
    assert_eq!(created["Manager"]["DisplayName"], "Ann Zanyatski");
    assert_eq!(
        created["Manager"]["ProfileUrl"],
        format!("/Products/People/Profile.aspx?user={ann_name}")
    );
    assert_eq!(ids(&created["Members"]), [ann, bob], "the manager first, no repeats");
    let id: Uuid = created["Id"].as_str().unwrap().parse().unwrap();

    let (status, body, _) = call(&r, Method::GET, "group", &owner, None, None).await;
    let list = response(status, &body, 200);
    assert_eq!(list, &json!([{"Id": id, "Name": "Sales", "Manager": ann_name}]));
    assert_eq!(body["total"], 1);

    let (status, body, etag) = call(&r, Method::GET, &format!("group/{id}"), &owner, None, None).await;
    assert_eq!(
        (response(status, &body, 200), etag.as_deref()),
        (&created, Some("\"1\""))
    );
    let res = r.get(&format!("group/{id}.xml"), &owner).send().await.unwrap();
    let (status, ct, text) = read_text(res).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::OK, "text/xml; charset=utf-8"),
        "{text}"
    );
    let xml = parse_xml(&text);
    let names = xml.child("response").names();
    assert_eq!(
        names,
        [
            "Id",
            "Name",
            "Category",
            "Parent",
            "Description",
            "IsLDAP",
            "Manager",
            "Members",
            "Members"
        ]
    );
    assert!(text.contains("<IsLDAP>False</IsLDAP>"), "{text}");

    // A rename, expected at version 1; the same version again is stale and changes nothing.
    let rename = json!({"groupName": "Sales EMEA"});
    let path = format!("group/{id}");
    let (status, body, etag) = call(&r, Method::PUT, &path, &owner, Some(rename), Some("\"1\"")).await;
    assert_eq!(
        (response(status, &body, 200)["Name"].as_str(), etag.as_deref()),
        (Some("Sales EMEA"), Some("\"2\""))
    );
    assert_eq!(ids(&body["response"]["Members"]), [ann, bob], "left out, kept");
    let stale = json!({"groupName": "Stale"});
    let (status, body, _) = call(&r, Method::PUT, &path, &owner, Some(stale), Some("\"1\"")).await;
    error_message(status, &body, 412);
    let (_, body, _) = call(&r, Method::GET, &path, &owner, None, None).await;
    assert_eq!(body["response"]["Name"], "Sales EMEA");

    // The rename shows in the members' wrappers at once.
    let (status, body, _) = call(&r, Method::GET, &format!("people/{bob}"), &owner, None, None).await;
    let bob_view = response(status, &body, 200);
    assert_eq!(
        bob_view["Groups"],
        json!([{"Id": id, "Name": "Sales EMEA", "Manager": ann_name}])
    );
    assert_eq!(bob_view["Department"], "Sales EMEA");

    let (status, body, _) = call(&r, Method::DELETE, &path, &owner, None, Some("\"1\"")).await;
    error_message(status, &body, 412);
    let (status, body, etag) = call(&r, Method::DELETE, &path, &owner, None, Some("\"2\"")).await;
    let deleted = response(status, &body, 200);
    assert_eq!(
        (deleted["Name"].as_str(), etag.as_deref()),
        (Some("Sales EMEA"), Some("\"3\""))
    );
    assert!(
        deleted.get("Members").is_none(),
        "a deleted group's answer has no members: {deleted}"
    );
    let (status, body, _) = call(&r, Method::GET, &path, &owner, None, None).await;
    error_message(status, &body, 404);
    let (status, body, _) = call(&r, Method::PUT, &path, &owner, Some(json!({"groupName": "x"})), None).await;
    error_message(status, &body, 404);
    let (_, body, _) = call(&r, Method::GET, &format!("people/{bob}"), &owner, None, None).await;
    assert_eq!(
        (
            body["response"]["Groups"].clone(),
            body["response"]["Department"].clone()
        ),
        (json!([]), json!(""))
    );
    let (_, body, _) = call(&r, Method::GET, "group", &owner, None, None).await;
    assert_eq!(body["response"], json!([]));
}

#[tokio::test]
async fn members_are_added_replaced_and_removed_the_manager_is_set_and_people_filter_lists_the_members() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, _) = user(&r, "ann@example.com", "Ann").await;
    let (bob, bob_name) = user(&r, "bob@example.com", "Bob").await;
    let (cid, _) = user(&r, "cid@example.com", "Cid").await;
    let (dee, _) = user(&r, "dee@example.com", "Dee").await;
    let id = group(&r, &owner, json!({"groupName": "Ops", "groupManager": ann})).await;
    let members = format!("group/{id}/members");

    let (status, body, etag) = call(
        &r,
        Method::PUT,
        &members,
        &owner,
        Some(json!({"members": [bob, cid]})),
        None,
    )
    .await;
    assert_eq!(
        (ids(&response(status, &body, 200)["Members"]), etag.as_deref()),
        (vec![ann, bob, cid], Some("\"2\""))
    );
    // Replacing the members keeps the manager.
    let (status, body, _) = call(
        &r,
        Method::POST,
        &members,
        &owner,
        Some(json!({"members": [dee]})),
        None,
    )
    .await;
    assert_eq!(ids(&response(status, &body, 200)["Members"]), [ann, dee]);
    // Removing, with the members in the query (a DELETE body is optional): the manager leaves the head.
    let (status, body, _) = call(
        &r,
        Method::DELETE,
        &format!("{members}?members={ann}&members={bob}"),
        &owner,
        None,
        None,
    )
    .await;
    let group_now = response(status, &body, 200);
    assert_eq!(
        (ids(&group_now["Members"]), group_now["Manager"].clone()),
        (vec![dee], Value::Null)
    );
    // A manager is made a member.
    let manager = format!("group/{id}/manager");
    let (status, body, _) = call(&r, Method::PUT, &manager, &owner, Some(json!({"userid": bob})), None).await;
    let group_now = response(status, &body, 200);
    assert_eq!(
        (group_now["Manager"]["Id"].clone(), ids(&group_now["Members"])),
        (json!(bob), vec![dee, bob])
    );

    // people/filter lists exactly the members (total too); GET people takes the filter as well.
    let (status, body, _) = call(
        &r,
        Method::GET,
        &format!("people/filter?groupId={id}&sortBy=firstname"),
        &owner,
        None,
        None,
    )
    .await;
    let listed = response(status, &body, 200).clone();
    assert_eq!((ids(&listed), body["total"].clone()), (vec![bob, dee], json!(2)));
    assert!(listed.as_array().unwrap().iter().all(|u| u["Department"] == "Ops"));
    let (_, body, _) = call(
        &r,
        Method::GET,
        &format!("people?groupId={id}&count=1"),
        &owner,
        None,
        None,
    )
    .await;
    assert_eq!((body["count"].clone(), body["total"].clone()), (json!(1), json!(2)));
    let (_, body, _) = call(
        &r,
        Method::GET,
        &format!("people/filter?groupId={}", Uuid::new_v4()),
        &owner,
        None,
        None,
    )
    .await;
    assert_eq!(
        (body["response"].clone(), body["total"].clone()),
        (json!([]), json!(0)),
        "no such group: nobody"
    );
    let (status, body, _) = call(&r, Method::GET, "people/filter?groupId=sales", &owner, None, None).await;
    assert!(error_message(status, &body, 400).starts_with("groupId:"));

    // A user's groups, by name.
    let other = group(&r, &owner, json!({"groupName": "Audit", "members": [bob]})).await;
    let (status, body, _) = call(&r, Method::GET, &format!("group/user/{bob}"), &owner, None, None).await;
    let expected =
        json!([{"Id": other, "Name": "Audit", "Manager": null}, {"Id": id, "Name": "Ops", "Manager": bob_name}]);
    assert_eq!(response(status, &body, 200), &expected);
    let (_, body, _) = call(&r, Method::GET, &format!("people/{bob}"), &owner, None, None).await;
    assert_eq!(
        (
            body["response"]["Groups"].clone(),
            body["response"]["Department"].clone()
        ),
        (expected, json!("Audit, Ops"))
    );
}

#[tokio::test]
async fn the_seed_user_request_verbatim_names_no_group_and_with_real_groups_answers_their_names_and_managers() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (status, body, _) = call(
        &r,
        Method::POST,
        "people",
        &owner,
        Some(seed_user_request("mike@example.com")),
        None,
    )
    .await;
    let mike = response(status, &body, 201);
    assert_eq!(
        (mike["Groups"].clone(), mike["Department"].clone()),
        (json!([]), json!("")),
        "its GUIDs name no group"
    );

    let (ann, ann_name) = user(&r, "ann@example.com", "Ann").await;
    let marketing = group(&r, &owner, json!({"groupName": "Marketing", "groupManager": ann})).await;
    let audit = group(&r, &owner, json!({"groupName": "Audit"})).await;
    let mut request = seed_user_request("jake@example.com");
    request["department"] = json!([marketing, "9924256a-739c-462b-af15-e652a3b1b6eb", audit]);
    let (status, body, _) = call(&r, Method::POST, "people", &owner, Some(request), None).await;
    let jake = response(status, &body, 201);
    let expected = json!([{"Id": audit, "Name": "Audit", "Manager": null}, {"Id": marketing, "Name": "Marketing", "Manager": ann_name}]);
    assert_eq!(
        (jake["Groups"].clone(), jake["Department"].clone()),
        (expected, json!("Audit, Marketing"))
    );
    let jake: Uuid = jake["Id"].as_str().unwrap().parse().unwrap();
    let (_, body, _) = call(&r, Method::GET, &format!("group/{marketing}"), &owner, None, None).await;
    assert_eq!(
        ids(&body["response"]["Members"]),
        [ann, jake],
        "the user joined the group's stream"
    );

    // The same in XML, from the create's own answer.
    let mut request = seed_user_request("lou@example.com");
    request["department"] = json!([marketing]);
    let res = r.post("people.xml", &owner).json(&request).send().await.unwrap();
    let (status, _, text) = read_text(res).await;
    assert_eq!(status, StatusCode::CREATED, "{text}");
    let lou = parse_xml(&text);
    let lou = lou.child("response");
    let group = lou.child("Groups");
    assert_eq!(group.names(), ["Id", "Name", "Manager"]);
    assert_eq!(
        (
            group.child("Id").text.as_str(),
            group.child("Name").text.as_str(),
            group.child("Manager").text.as_str()
        ),
        (marketing.to_string().as_str(), "Marketing", ann_name.as_str())
    );
    assert_eq!(lou.child("Department").text, "Marketing");
}
