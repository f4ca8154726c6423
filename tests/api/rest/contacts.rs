//! Contacts that change, over REST: updates that keep what they leave out, versions (`ETag`,
//! `If-Match` → 412), links, access, contact data, delete; concurrent changes in `concurrent`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Rest, error_message, read, response};

mod concurrent;

impl Rest {
    fn send(&self, method: Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Authorization", token)
    }

    /// Creates a person from `body` and returns its id.
    async fn person(&self, token: &str, body: Value) -> i64 {
        let (status, body) = read(self.post("crm/contact/person", token).json(&body).send().await.unwrap()).await;
        response(status, &body, 201)["id"].as_i64().unwrap()
    }

    async fn company(&self, token: &str, name: &str) -> i64 {
        let body = json!({"companyName": name, "shareType": "readWrite"});
        let (status, body) = read(
            self.post("crm/contact/company", token)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        response(status, &body, 201)["id"].as_i64().unwrap()
    }

    /// GET crm/contact/{id}: status, body and ETag.
    async fn fetch(&self, id: i64, token: &str) -> (StatusCode, Value, Option<String>) {
        let res = self.get(&format!("crm/contact/{id}"), token).send().await.unwrap();
        let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
        let (status, body) = read(res).await;
        (status, body, etag)
    }
}

fn ann() -> Value {
    json!({"firstName": "Ann", "lastName": "Lee", "jobTitle": "CTO", "about": "met at expo", "shareType": "readWrite"})
}

#[tokio::test]
async fn an_update_keeps_what_it_leaves_out_clears_what_is_null_and_moves_the_version() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let id = r.person(&token, ann()).await;
    let (_, _, etag) = r.fetch(id, &token).await;
    assert_eq!(etag.as_deref(), Some("\"1\""));

    let res = r
        .send(Method::PUT, &format!("crm/contact/person/{id}"), &token)
        .json(&json!({"firstName": "Anne", "jobTitle": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["etag"], "\"2\"");
    let (status, body) = read(res).await;
    let person = response(status, &body, 200);
    assert_eq!(
        (person["firstName"].as_str(), person["lastName"].as_str()),
        (Some("Anne"), Some("Lee"))
    );
    assert_eq!(person["title"], Value::Null, "null clears");
    assert_eq!(person["about"], "met at expo", "left out, kept");
    assert_eq!(
        person["shareType"], 1,
        "a partial body never makes a shared contact private"
    );

    let (status, body) = read(
        r.send(Method::PUT, &format!("crm/contact/person/{id}"), &token)
            .json(&json!({"lastName": ""}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(error_message(status, &body, 400).starts_with("lastName"), "{body}");
    let (_, body, etag) = r.fetch(id, &token).await;
    assert_eq!(
        (body["response"]["lastName"].as_str(), etag.as_deref()),
        (Some("Lee"), Some("\"2\""))
    );
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_changes_nothing_and_a_current_one_applies() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let id = r.person(&token, ann()).await;
    let put = |tag: &str, name: &str| {
        r.send(Method::PUT, &format!("crm/contact/person/{id}"), &token)
            .header("If-Match", tag)
            .json(&json!({"firstName": name}))
            .send()
    };
    let (status, body) = read(put("\"1\"", "First").await.unwrap()).await;
    response(status, &body, 200);
    let (status, body) = read(put("\"1\"", "Stale").await.unwrap()).await;
    error_message(status, &body, 412);
    let (_, body, etag) = r.fetch(id, &token).await;
    assert_eq!(
        (body["response"]["firstName"].as_str(), etag.as_deref()),
        (Some("First"), Some("\"2\""))
    );
    let (status, body) = read(put("nonsense", "X").await.unwrap()).await;
    assert!(error_message(status, &body, 400).starts_with("If-Match"));
    let res = r
        .send(Method::DELETE, &format!("crm/contact/{id}"), &token)
        .header("If-Match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn unknown_and_deleted_contacts_are_404_on_every_route_and_gone_from_lists() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let id = r.person(&token, ann()).await;
    let (status, body) = read(
        r.send(Method::DELETE, &format!("crm/contact/{id}"), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let deleted = response(status, &body, 200);
    assert_eq!(
        (deleted["id"].as_i64(), deleted["firstName"].as_str()),
        (Some(id), Some("Ann"))
    );

    for target in [id, 999_999] {
        let (status, _, _) = r.fetch(target, &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let update = r
            .send(Method::PUT, &format!("crm/contact/person/{target}"), &token)
            .json(&json!({"firstName": "Ghost"}))
            .send()
            .await
            .unwrap();
        assert_eq!(update.status(), StatusCode::NOT_FOUND, "update of {target}");
        let delete = r
            .send(Method::DELETE, &format!("crm/contact/{target}"), &token)
            .send()
            .await
            .unwrap();
        assert_eq!(delete.status(), StatusCode::NOT_FOUND, "delete of {target}");
        let data = r
            .post(&format!("crm/contact/{target}/data"), &token)
            .json(&json!({"infoType": "Email", "data": "a@b.io"}))
            .send()
            .await
            .unwrap();
        assert_eq!(data.status(), StatusCode::NOT_FOUND, "data of {target}");
    }
    let (status, body) = read(r.get("crm/contact/filter", &token).send().await.unwrap()).await;
    let listed: Vec<i64> = response(status, &body, 200)
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .collect();
    assert!(!listed.contains(&id), "{listed:?}");
}

#[tokio::test]
async fn persons_link_and_unlink_and_a_deleted_company_unlinks_its_persons() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let acme = r.company(&token, "Acme").await;
    let id = r.person(&token, ann()).await;
    let (status, body) = read(
        r.post(&format!("crm/contact/company/{acme}/person"), &token)
            .json(&json!({"personid": id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response(status, &body, 200)["company"]["id"], acme);
    let (status, body) = read(
        r.get(&format!("crm/contact/company/{acme}/person"), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response(status, &body, 200).as_array().unwrap().len(), 1);

    let res = r
        .send(
            Method::DELETE,
            &format!("crm/contact/company/{acme}/person?personid={id}"),
            &token,
        )
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    assert!(response(status, &body, 200).get("company").is_none(), "{body}");

    let beta = r.company(&token, "Beta").await;
    let (status, body) = read(
        r.send(Method::PUT, &format!("crm/contact/person/{id}"), &token)
            .json(&json!({"companyId": beta}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response(status, &body, 200)["company"]["id"], beta);
    let (status, body) = read(
        r.send(Method::DELETE, &format!("crm/contact/{beta}"), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response(status, &body, 200)["isCompany"], true);
    let (_, body, _) = r.fetch(id, &token).await;
    assert!(
        body["response"].get("company").is_none(),
        "the deleted company's person is unlinked: {body}"
    );
    let gone = r
        .get(&format!("crm/contact/company/{beta}/person"), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    let link = r
        .post(&format!("crm/contact/company/{beta}/person"), &token)
        .json(&json!({"personid": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        link.status(),
        StatusCode::NOT_FOUND,
        "a deleted company cannot be linked"
    );
}

#[tokio::test]
async fn access_makes_a_contact_private_to_its_managers() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let member = r.member_token("mia@example.com", false).await;
    let visitor = r.member_token("vic@example.com", true).await;
    let id = r.person(&token, ann()).await;
    let (status, body) = read(r.get(&format!("crm/contact/{id}/access"), &token).send().await.unwrap()).await;
    assert_eq!(
        response(status, &body, 200),
        &json!([]),
        "a shared contact lists no managers"
    );

    let owner_id = r.t.owner().await.id.to_string();
    let (status, body) = read(
        r.send(Method::PUT, &format!("crm/contact/{id}/access"), &token)
            .json(&json!({"isShared": false, "managerList": [owner_id]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let contact = response(status, &body, 200);
    assert_eq!(
        (contact["isPrivate"].as_bool(), contact["shareType"].as_i64()),
        (Some(true), Some(0))
    );
    let (status, body) = read(r.get(&format!("crm/contact/{id}/access"), &token).send().await.unwrap()).await;
    assert_eq!(response(status, &body, 200)[0]["id"], owner_id);

    let as_member = r
        .send(Method::PUT, &format!("crm/contact/person/{id}"), &member)
        .json(&json!({"firstName": "Hijack"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        as_member.status(),
        StatusCode::NOT_FOUND,
        "a private contact does not exist for others"
    );
    let as_visitor = r
        .send(Method::PUT, &format!("crm/contact/person/{id}"), &visitor)
        .json(&json!({"firstName": "Hijack"}))
        .send()
        .await
        .unwrap();
    assert_eq!(as_visitor.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn contact_data_is_added_changed_found_and_removed_with_one_primary_per_type() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let id = r.person(&token, ann()).await;
    let add = |body: Value| r.post(&format!("crm/contact/{id}/data"), &token).json(&body).send();
    let (status, body) = read(
        add(json!({"infoType": "Email", "data": "ann@acme.io", "isPrimary": true}))
            .await
            .unwrap(),
    )
    .await;
    let first = response(status, &body, 201).clone();
    assert_eq!(
        (first["infoType"].as_i64(), first["categoryName"].as_str()),
        (Some(1), Some("Home"))
    );
    let (status, body) = read(
        add(json!({"infoType": 1, "data": "ann@home.io", "isPrimary": "true", "category": 1}))
            .await
            .unwrap(),
    )
    .await;
    let second = response(status, &body, 201).clone();
    assert_ne!(first["id"], second["id"]);

    let (status, body) = read(r.get(&format!("crm/contact/{id}/data"), &token).send().await.unwrap()).await;
    let data = response(status, &body, 200).as_array().unwrap().clone();
    let primaries: Vec<&Value> = data.iter().filter(|d| d["isPrimary"] == true).collect();
    assert_eq!(primaries.len(), 1, "one primary per type: {data:?}");
    assert_eq!(primaries[0]["id"], second["id"]);
    let (_, person, _) = r.fetch(id, &token).await;
    assert_eq!(
        person["response"]["commonData"].as_array().map(Vec::len),
        Some(2),
        "{person}"
    );

    let (status, body) = read(
        r.send(Method::PUT, &format!("crm/contact/{id}/data/{}", first["id"]), &token)
            .json(&json!({"data": "ann@acme.com"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response(status, &body, 200)["data"], "ann@acme.com");
    let by_info = |query: &str| {
        let request = r.get(&format!("crm/contact/bycontactinfo?{query}"), &token);
        async move { read(request.send().await.unwrap()).await }
    };
    let ids = |(status, body): (StatusCode, Value)| -> Vec<Option<i64>> {
        let found = response(status, &body, 200).as_array().unwrap().clone();
        found.iter().map(|c| c["id"].as_i64()).collect()
    };
    assert_eq!(ids(by_info("infoType=email&data=ann@acme.com").await), [Some(id)]);

    // Categories by name, as ONLYOFFICE clients send them (in a form too), among the type's own.
    let (status, body) = read(
        r.post(&format!("crm/contact/{id}/data"), &token)
            .form(&[("infoType", "Phone"), ("data", "+1 555 0100"), ("category", "mobile")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let phone = response(status, &body, 201).clone();
    assert_eq!(
        (phone["category"].as_i64(), phone["categoryName"].as_str()),
        (Some(2), Some("Mobile"))
    );
    assert_eq!(ids(by_info("infoType=Phone&category=Mobile").await), [Some(id)]);
    let (status, body) = by_info("infoType=Phone&category=Postal").await;
    assert!(error_message(status, &body, 400).starts_with("category"), "{body}");

    for (body, field) in [
        (json!({"infoType": "Fax", "data": "1"}), "infoType"),
        (json!({"infoType": "Email", "data": "not-an-email"}), "data"),
        (json!({"infoType": "Phone", "data": "1", "category": 9}), "category"),
        (
            json!({"infoType": "Email", "data": "a@b.io", "category": "Mobile"}),
            "category",
        ),
        (json!({"data": "1"}), "infoType"),
    ] {
        let (status, reply) = read(add(body.clone()).await.unwrap()).await;
        assert!(
            error_message(status, &reply, 400).starts_with(field),
            "{body} → {reply}"
        );
    }
    let (status, body) = read(
        r.send(
            Method::DELETE,
            &format!("crm/contact/{id}/data/{}", first["id"]),
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(response(status, &body, 200)["id"], first["id"]);
    assert_eq!(ids(by_info("infoType=Email&data=ann@acme.com").await), []);
    let missing = r.get("crm/contact/bycontactinfo", &token).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_changes_answer_is_the_person_a_read_then_shows_with_its_company_and_creator() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let member = r.member_token("maker@example.com", false).await;
    // Created by the member, changed by the owner: the answer names the creator, not the caller.
    let id = r.person(&member, ann()).await;
    let acme = r.company(&owner, "Acme Ltd").await;
    let res = r
        .send(Method::PUT, &format!("crm/contact/person/{id}"), &owner)
        .json(&json!({"companyId": acme, "firstName": "Anne"}))
        .send()
        .await
        .unwrap();
    let etag = res.headers()["etag"].to_str().unwrap().to_string();
    let (status, body) = read(res).await;
    let answer = response(status, &body, 200).clone();
    assert_eq!(answer["company"]["displayName"], "Acme Ltd", "{answer}");
    assert_eq!(answer["createBy"]["displayName"], "Mike Zanyatski", "{answer}");
    let (status, body, read_etag) = r.fetch(id, &owner).await;
    assert_eq!(response(status, &body, 200), &answer, "answer and read differ");
    assert_eq!(read_etag.as_deref(), Some(etag.as_str()));

    let beta = r.company(&owner, "Beta").await;
    let (status, body) = read(
        r.post(&format!("crm/contact/company/{beta}/person"), &owner)
            .json(&json!({"personid": id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let linked = response(status, &body, 200).clone();
    assert_eq!(linked["company"]["displayName"], "Beta", "{linked}");
    let (status, body, _) = r.fetch(id, &owner).await;
    assert_eq!(
        response(status, &body, 200),
        &linked,
        "a link's answer and the read differ"
    );
}
