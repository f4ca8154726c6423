//! A person's company as each caller may see it: answers to changes leave out a company the caller may
//! not see (as reads do), links and unlinks name a company that must exist and be visible (else 404),
//! and the nested company carries the company's own `about`.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Rest, error_message, read, response};

/// Creates a contact at `path` from `body`; its id.
async fn create(r: &Rest, token: &str, path: &str, body: Value) -> i64 {
    let (status, body) = read(r.post(path, token).json(&body).send().await.unwrap()).await;
    response(status, &body, 201)["id"].as_i64().unwrap()
}

async fn send(r: &Rest, method: Method, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
    read(
        r.client
            .request(method, r.url(path))
            .header("Authorization", token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn a_company_the_caller_may_not_see_stays_out_of_every_answer_and_its_links_are_404() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let member = r.member_token("member@example.com", false).await;
    let private = create(
        &r,
        &owner,
        "crm/contact/company",
        json!({"companyName": "Hidden Ltd", "about": "not for members", "shareType": "none"}),
    )
    .await;
    let person = create(
        &r,
        &owner,
        "crm/contact/person",
        json!({"firstName": "Ann", "lastName": "Lee", "shareType": "readWrite", "companyId": private}),
    )
    .await;

    // The member may change the person, but not see its company: no answer names it.
    let (status, body) = read(r.get(&format!("crm/contact/{person}"), &member).send().await.unwrap()).await;
    assert_eq!(response(status, &body, 200)["company"], Value::Null, "{body}");
    let changes = [
        (
            Method::PUT,
            format!("crm/contact/person/{person}"),
            json!({"about": "changed"}),
        ),
        (
            Method::PUT,
            format!("crm/contact/{person}/access"),
            json!({"isShared": true}),
        ),
    ];
    for (method, path, body) in changes {
        let (status, reply) = send(&r, method, &path, &member, body).await;
        let answer = response(status, &reply, 200);
        assert_eq!(answer["company"], Value::Null, "{path}: {reply}");
        assert!(!reply.to_string().contains("Hidden Ltd"), "{path}: {reply}");
    }

    // Unlinking from a company the member may not see, or from none that exists, is 404 and changes
    // nothing; so is moving the person away from it (to no company, or to one the member may see).
    for company in [private, 999_999] {
        let path = format!("crm/contact/company/{company}/person");
        let (status, reply) = send(&r, Method::DELETE, &path, &member, json!({"personid": person})).await;
        error_message(status, &reply, 404);
    }
    let open = create(
        &r,
        &owner,
        "crm/contact/company",
        json!({"companyName": "Open Ltd", "shareType": "readWrite"}),
    )
    .await;
    let moves = [
        (
            Method::PUT,
            format!("crm/contact/person/{person}"),
            json!({"companyId": null}),
        ),
        (
            Method::PUT,
            format!("crm/contact/person/{person}"),
            json!({"companyId": 0}),
        ),
        (
            Method::PUT,
            format!("crm/contact/person/{person}"),
            json!({"companyId": open}),
        ),
        (
            Method::POST,
            format!("crm/contact/company/{open}/person"),
            json!({"personid": person}),
        ),
    ];
    for (method, path, body) in moves {
        let (status, reply) = send(&r, method, &path, &member, body.clone()).await;
        assert!(
            error_message(status, &reply, 404).contains("company"),
            "{path} {body}: {reply}"
        );
    }
    let (status, body) = read(r.get(&format!("crm/contact/{person}"), &owner).send().await.unwrap()).await;
    let seen = response(status, &body, 200);
    assert_eq!(seen["company"]["id"].as_i64(), Some(private), "still linked: {body}");
    // The owner sees the company nested with its own description.
    assert_eq!(seen["company"]["about"], "not for members");
    assert_eq!(seen["company"]["companyName"], "Hidden Ltd");

    // The owner unlinks it: then the person has no company.
    let path = format!("crm/contact/company/{private}/person");
    let (status, reply) = send(&r, Method::DELETE, &path, &owner, json!({"personid": person})).await;
    assert_eq!(response(status, &reply, 200)["company"], Value::Null, "{reply}");
}

#[tokio::test]
async fn a_contact_data_change_answers_with_the_contacts_new_etag() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let person = create(
        &r,
        &owner,
        "crm/contact/person",
        json!({"firstName": "Ann", "lastName": "Lee"}),
    )
    .await;
    let res = r
        .post(&format!("crm/contact/{person}/data"), &owner)
        .json(&json!({"infoType": "Email", "data": "ann@acme.io"}))
        .send()
        .await
        .unwrap();
    let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = read(res).await;
    let entry = response(status, &body, 201)["id"].as_i64().unwrap();
    assert_eq!(etag.as_deref(), Some("\"2\""));

    // The ETag chains the next conditional change, whose answer carries the next one.
    let res = r
        .client
        .put(r.url(&format!("crm/contact/{person}/data/{entry}")))
        .header("Authorization", &owner)
        .header("If-Match", etag.unwrap())
        .json(&json!({"data": "ann@acme.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers().get("etag").and_then(|v| v.to_str().ok()), Some("\"3\""));
    assert_eq!(res.status(), StatusCode::OK);
    let res = r
        .client
        .delete(r.url(&format!("crm/contact/{person}/data/{entry}")))
        .header("Authorization", &owner)
        .header("If-Match", "\"2\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);
}
