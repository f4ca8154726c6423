//! People that come and go over REST: profile updates (self, admins, `title`/`lead`, `null` keeps),
//! `If-Match`, terminate and reactivate, retype, delete and administrator rights, in JSON, forms
//! and XML. Tokens, passwords, email changes and events are in `people_lifecycle_access.rs`.

use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

use super::{Rest, error_message, parse_xml, read, read_text, response};
use crate::helpers::{MEMBER_PASSWORD, user_draft};

pub fn put(r: &Rest, path: &str, token: &str) -> RequestBuilder {
    r.client.put(r.url(path)).header("Authorization", token)
}

pub fn delete(r: &Rest, path: &str, token: &str) -> RequestBuilder {
    r.client.delete(r.url(path)).header("Authorization", token)
}

/// A member's GUID and token.
pub async fn member(r: &Rest, email: &str) -> (String, String) {
    let id = r.t.member(email, false).await.id.to_string();
    (id, r.login(email, MEMBER_PASSWORD).await)
}

/// The `ETag` of an answer.
pub fn etag(res: &reqwest::Response) -> String {
    res.headers()["etag"].to_str().unwrap().to_string()
}

/// Sends `req` and returns the status and the JSON body.
pub async fn send(req: RequestBuilder) -> (StatusCode, Value) {
    read(req.send().await.unwrap()).await
}

/// The user `id` as the owner reads it.
pub async fn user(r: &Rest, owner: &str, id: &str) -> Value {
    let (status, body) = send(r.get(&format!("people/{id}"), owner)).await;
    response(status, &body, 200).clone()
}

/// `PUT people/status/{status}` or `PUT people/type/{type}` of `ids`: the users answered.
pub async fn set_many(r: &Rest, token: &str, path: &str, ids: &[&str]) -> Vec<Value> {
    let (status, body) = send(put(r, path, token).json(&json!({ "userIds": ids }))).await;
    response(status, &body, 200).as_array().unwrap().clone()
}

#[tokio::test]
async fn a_user_edits_their_own_profile_but_not_anothers_and_title_and_lead_only_as_an_admin() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, ann_token) = member(&r, "ann@example.com").await;
    let (bob, _) = member(&r, "bob@example.com").await;

    let res = put(&r, &format!("people/{ann}"), &ann_token)
        .json(&json!({"location": "Riga", "firstname": "Anne", "comment": null, "sex": "female"}))
        .send()
        .await
        .unwrap();
    assert_eq!(etag(&res), "\"2\"");
    let (status, body) = read(res).await;
    let got = response(status, &body, 200);
    assert_eq!(
        (&got["Location"], &got["FirstName"], &got["LastName"], &got["Sex"]),
        (&json!("Riga"), &json!("Anne"), &json!("Zanyatski"), &json!("female")),
        "what the body leaves out or sends as null keeps its value"
    );

    let (status, body) = send(put(&r, &format!("people/{bob}"), &ann_token).json(&json!({"location": "Oslo"}))).await;
    error_message(status, &body, 403);
    for field in [json!({"title": "CEO"}), json!({"lead": bob})] {
        let (status, body) = send(put(&r, &format!("people/{ann}"), &ann_token).json(&field)).await;
        assert!(error_message(status, &body, 403).contains("title and lead"), "{body}");
    }
    assert_eq!(user(&r, &owner, &ann).await["Title"], Value::Null, "nothing changed");

    // An admin changes anyone's title and lead, here as a form; "" clears a field.
    let form = format!("title=CEO&lead={bob}&location=");
    let res = put(&r, &format!("people/{ann}"), &owner)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form);
    let (status, body) = send(res).await;
    let got = response(status, &body, 200);
    assert_eq!((&got["Title"], &got["Lead"]), (&json!("CEO"), &json!(bob)));
    assert!(got.get("Location").is_none_or(Value::is_null), "{got}");

    // An XML body, with the XML answer's booleans in title case; the path may name the user name.
    let xml = "<request><comment>Notes to worker</comment><isVisitor>true</isVisitor></request>";
    let res = put(&r, "people/ann.xml", &owner)
        .header("Content-Type", "text/xml")
        .body(xml);
    let (status, _, text) = read_text(res.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let got = parse_xml(&text);
    let got = got.child("response");
    assert_eq!(
        (got.child("Notes").text.as_str(), got.child("IsVisitor").text.as_str()),
        ("Notes to worker", "True")
    );
    let (status, body) = send(put(&r, "people/nobody", &owner).json(&json!({"location": "x"}))).await;
    error_message(status, &body, 404);
    let unknown = uuid::Uuid::new_v4();
    let (status, body) = send(put(&r, &format!("people/{unknown}"), &owner).json(&json!({}))).await;
    error_message(status, &body, 404);
    let (status, body) = send(put(&r, &format!("people/{ann}"), &owner).json(&json!({"firstname": ""}))).await;
    assert!(error_message(status, &body, 400).starts_with("firstname:"), "{body}");
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, _) = member(&r, "ann@example.com").await;
    let path = format!("people/{ann}");
    let res = r.get(&path, &owner).send().await.unwrap();
    assert_eq!(etag(&res), "\"1\"");
    let change = |location: &str, tag: &str| {
        put(&r, &path, &owner)
            .header("If-Match", tag)
            .json(&json!({ "location": location }))
    };
    let res = change("Riga", "\"1\"").send().await.unwrap();
    assert_eq!((res.status(), etag(&res)), (StatusCode::OK, "\"2\"".to_string()));
    let (status, body) = send(change("Oslo", "\"1\"")).await;
    error_message(status, &body, 412);
    for stale in [
        put(&r, &format!("{path}/email"), &owner)
            .header("If-Match", "\"1\"")
            .json(&json!({"email": "x@example.com"})),
        put(&r, "settings/security/administrator", &owner)
            .header("If-Match", "\"1\"")
            .json(&json!({"userid": ann, "administrator": true})),
        delete(&r, &path, &owner).header("If-Match", "\"1\""),
    ] {
        let (status, body) = send(stale).await;
        error_message(status, &body, 412);
    }
    let now = user(&r, &owner, &ann).await;
    assert_eq!(
        (&now["Location"], &now["Email"], &now["IsAdmin"]),
        (&json!("Riga"), &json!("ann@example.com"), &json!(false))
    );
    let res = r.get(&path, &owner).send().await.unwrap();
    assert_eq!(etag(&res), "\"2\"", "nothing was appended");
}

#[tokio::test]
async fn terminating_and_reactivating_skip_the_owner_and_the_caller_and_need_an_admin() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, ann_token) = member(&r, "ann@example.com").await;
    let (bob, _) = member(&r, "bob@example.com").await;
    let me = r.t.owner().await.id.to_string();

    let set = set_many(&r, &owner, "people/status/Terminated", &[&ann, &me, &bob, &ann]).await;
    let ids: Vec<&str> = set.iter().map(|u| u["Id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [ann.as_str(), bob.as_str()],
        "the owner (the caller here) is skipped"
    );
    assert!(
        set.iter().all(|u| u["Status"] == 2 && u["Terminated"].is_string()),
        "{set:?}"
    );
    assert_eq!(user(&r, &owner, &me).await["Status"], 1);
    let (status, body) = send(r.get("people/@self", &ann_token)).await;
    error_message(status, &body, 401);

    // The list of active users leaves them out; a form body names them too.
    let (status, body) = send(r.get("people", &owner)).await;
    assert_eq!(response(status, &body, 200).as_array().unwrap().len(), 1);
    let res = put(&r, "people/status/active.json", &owner)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("userIds={ann}&userIds={bob}"));
    let (status, body) = send(res).await;
    let set = response(status, &body, 200).as_array().unwrap();
    assert!(
        set.iter().all(|u| u["Status"] == 1 && u["Terminated"].is_null()),
        "{set:?}"
    );

    let bob_token = r.login("bob@example.com", MEMBER_PASSWORD).await;
    let (status, body) = send(put(&r, "people/status/Terminated", &bob_token).json(&json!({"userIds": [ann]}))).await;
    error_message(status, &body, 403);
    // An administrator who is not the owner is skipped as the caller.
    let grant = json!({"userid": bob, "administrator": true});
    send(put(&r, "settings/security/administrator", &owner).json(&grant)).await;
    let set = set_many(&r, &bob_token, "people/status/Terminated", &[&bob, &ann]).await;
    let ids: Vec<&str> = set.iter().map(|u| u["Id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ann.as_str()]);
    set_many(&r, &bob_token, "people/status/Active", &[&ann]).await;
    let (status, body) = send(put(&r, "people/status/LeaveOfAbsence", &owner).json(&json!({"userIds": [ann]}))).await;
    assert!(error_message(status, &body, 400).starts_with("status:"), "{body}");
    let (status, body) = send(put(&r, "people/status/Terminated", &owner).json(&json!({}))).await;
    assert!(error_message(status, &body, 400).starts_with("userIds:"), "{body}");

    // `disable: true` terminates one user; the owner cannot be disabled.
    let (status, body) = send(put(&r, &format!("people/{bob}"), &owner).json(&json!({"disable": true}))).await;
    assert_eq!(response(status, &body, 200)["Status"], 2);
    let (status, body) = send(put(&r, &format!("people/{me}"), &owner).json(&json!({"disable": true}))).await;
    error_message(status, &body, 403);
}

#[tokio::test]
async fn users_become_visitors_and_back_but_the_owner_and_admins_stay_users() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, _) = member(&r, "ann@example.com").await;
    let (bob, _) = member(&r, "bob@example.com").await;
    let me = r.t.owner().await.id.to_string();
    let grant = json!({"userid": bob, "administrator": true});
    let (status, body) = send(put(&r, "settings/security/administrator", &owner).json(&grant)).await;
    response(status, &body, 200);

    let set = set_many(&r, &owner, "people/type/Visitor", &[&ann, &bob, &me]).await;
    assert_eq!(set.len(), 1, "the owner and administrators are skipped: {set:?}");
    assert_eq!((&set[0]["Id"], &set[0]["IsVisitor"]), (&json!(ann), &json!(true)));
    assert_eq!(user(&r, &owner, &bob).await["IsVisitor"], false);

    let res = put(&r, "people/type/user.xml", &owner).json(&json!({"userIds": [ann]}));
    let (status, _, text) = read_text(res.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(parse_xml(&text).child("response").child("IsVisitor").text, "False");
    let (status, body) = send(put(&r, "people/type/Everyone", &owner).json(&json!({"userIds": [ann]}))).await;
    assert!(error_message(status, &body, 400).starts_with("type:"), "{body}");
}

#[tokio::test]
async fn only_a_terminated_user_is_deleted_never_the_owner_and_their_email_and_user_name_are_free() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, _) = member(&r, "Ann.Lee@example.com").await;
    let me = r.t.owner().await.id.to_string();

    let (status, body) = send(delete(&r, &format!("people/{ann}"), &owner)).await;
    assert!(error_message(status, &body, 409).contains("terminated"), "{body}");
    let (status, body) = send(delete(&r, &format!("people/{me}"), &owner)).await;
    error_message(status, &body, 403);

    set_many(&r, &owner, "people/status/Terminated", &[&ann]).await;
    let res = delete(&r, "people/ann.lee", &owner).send().await.unwrap();
    assert_eq!(etag(&res), "\"3\"");
    let (status, body) = read(res).await;
    assert_eq!(
        response(status, &body, 200)["Email"],
        "Ann.Lee@example.com",
        "the user as they were"
    );
    for path in [format!("people/{ann}"), "people/ann.lee".to_string()] {
        let (status, body) = send(r.get(&path, &owner)).await;
        error_message(status, &body, 404);
    }
    let (status, body) = send(delete(&r, &format!("people/{ann}"), &owner)).await;
    error_message(status, &body, 404);

    // The email and the user name are free at once: a new user gets both.
    let (status, body) = send(r.post("people", &owner).json(&json!({
        "email": "ann.lee@example.com", "firstname": "Ann", "lastname": "New"
    })))
    .await;
    let new = response(status, &body, 201);
    assert_eq!(new["UserName"], "ann.lee");
    assert_ne!(new["Id"], json!(ann));
    assert_eq!(crate::fold::read_model_difference(&r.t.pool).await, None);
}

#[tokio::test]
async fn a_member_granted_admin_adds_users_and_after_revocation_cannot() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, ann_token) = member(&r, "ann@example.com").await;
    let add = |email: &str| {
        r.post("people", &ann_token)
            .json(&json!({"email": email, "firstname": "A", "lastname": "B"}))
    };
    let rights = |administrator: bool| json!({"userid": ann, "administrator": administrator});

    let (status, body) = send(add("one@example.com")).await;
    error_message(status, &body, 403);
    let (status, body) = send(put(&r, "settings/security/administrator", &owner).json(&rights(true))).await;
    assert_eq!(
        response(status, &body, 200),
        &json!({"ProductId": "00000000-0000-0000-0000-000000000000", "UserId": ann, "Administrator": true})
    );
    let (status, body) = send(add("two@example.com")).await;
    response(status, &body, 201);

    // An administrator who is not the owner grants nothing; the owner keeps their own rights.
    let (bob, _) = member(&r, "bob@example.com").await;
    let (status, body) = send(
        put(&r, "settings/security/administrator", &ann_token).json(&json!({"userid": bob, "administrator": true})),
    )
    .await;
    error_message(status, &body, 403);
    let me = r.t.owner().await.id.to_string();
    let (status, body) =
        send(put(&r, "settings/security/administrator", &owner).json(&json!({"userid": me, "administrator": false})))
            .await;
    error_message(status, &body, 403);
    let crm = json!({"userid": ann, "administrator": true, "productid": "6743007c-6f95-4d20-8c88-a8601ce5e76d"});
    let (status, body) = send(put(&r, "settings/security/administrator", &owner).json(&crm)).await;
    assert!(error_message(status, &body, 400).starts_with("productid:"), "{body}");

    // Revoked as XML (a form body), answered with title-case booleans; then ann adds no one.
    let res = put(&r, "settings/security/administrator.xml", &owner)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "userid={ann}&administrator=false&productid=00000000-0000-0000-0000-000000000000"
        ));
    let (status, _, text) = read_text(res.send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(parse_xml(&text).child("response").child("Administrator").text, "False");
    let (status, body) = send(add("three@example.com")).await;
    error_message(status, &body, 403);
    let created =
        r.t.app
            .create_user(&r.t.owner_meta().await, user_draft("four@example.com"))
            .await;
    assert!(created.is_ok(), "the owner still adds users");
}
