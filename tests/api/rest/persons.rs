//! CRM persons over REST: the seed's request, the seed's shape in JSON and XML, forms, multipart
//! photos, idempotent retries and paging.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use super::{Rest, keys, kind, parse_xml, read, read_text, response, seed_person_request, seed_person_response};

/// A member with a title, so `createBy` carries every field the seed shows.
async fn member_with_title(r: &Rest) -> String {
    let owner = r.owner_token().await;
    let body = json!({"email": "mike@example.com", "firstname": "Mike", "lastname": "Zanyatski",
                      "title": "Manager", "password": "member-pass-1"});
    let (status, body) = read(r.post("people", &owner).json(&body).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // The seed's company is private: Mike manages it, so he may link persons to it.
    let access = json!({"isShared": false, "managerList": [body["response"]["Id"]]});
    let res = r
        .client
        .put(r.url("crm/contact/1234/access"))
        .header("Authorization", &owner)
        .json(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    r.login("mike@example.com", "member-pass-1").await
}

#[tokio::test]
async fn the_seed_person_request_creates_a_person_with_every_seed_field_in_the_seed_shape() {
    let r = Rest::spawn().await;
    let token = member_with_title(&r).await;
    let res = r
        .post("crm/contact/person", &token)
        .json(&seed_person_request())
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/json; charset=utf-8");
    let (status, body) = read(res).await;
    assert_eq!(body["count"], 1, "{body}");
    let got = response(status, &body, 201);
    let seed = seed_person_response();
    assert_eq!(keys(got), keys(&seed), "the seed's names, casing and order");
    assert_eq!(keys(&got["company"]), keys(&seed["company"]));
    assert_eq!(keys(&got["createBy"]), keys(&seed["createBy"]));
    for (k, v) in seed.as_object().unwrap() {
        // Documented deviation: the seed's sample has displayName null; the live server sends "First Last".
        let expected = if k == "displayName" { "string" } else { kind(v) };
        assert_eq!(kind(&got[k]), expected, "type of {k}");
    }
    for (k, v) in seed["createBy"].as_object().unwrap() {
        assert_eq!(kind(&got["createBy"][k]), kind(v), "type of createBy.{k}");
    }
    for (k, v) in seed["company"].as_object().unwrap() {
        // displayName: the company's name (the seed's sample shows null).
        let expected = if k == "displayName" { "string" } else { kind(v) };
        assert_eq!(kind(&got["company"][k]), expected, "type of company.{k}");
    }
    assert_eq!(got["company"]["companyName"], "Food and Culture Project");
    assert!(got["id"].as_i64().unwrap() > 0);
    assert_eq!(got["company"]["id"], 1234);
    assert_eq!(
        (got["firstName"].as_str(), got["title"].as_str()),
        (Some("some text"), Some("some text"))
    );
    assert_eq!(
        (got["shareType"].clone(), got["isPrivate"].clone()),
        (json!(0), json!(true))
    );
    assert_eq!(got["createBy"]["displayName"], "Mike Zanyatski");
    assert_eq!(got["createBy"]["title"], "Manager");
    assert!(got["created"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_person_reads_back_in_xml_with_the_seed_element_names_and_lowercase_booleans() {
    let r = Rest::spawn().await;
    let token = member_with_title(&r).await;
    let (status, body) = read(
        r.post("crm/contact/person", &token)
            .json(&seed_person_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = response(status, &body, 201)["id"].as_i64().unwrap();

    // The seed's person is private to its managers, of whom its creator Mike is not (ONLYOFFICE's
    // quirk): he gets the 201, and reads it no more; the owner (an admin) reads it back.
    let hidden = r.get(&format!("crm/contact/{id}.xml"), &token).send().await.unwrap();
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    let owner = r.owner_token().await;
    let (status, ct, text) = read_text(r.get(&format!("crm/contact/{id}.xml"), &owner).send().await.unwrap()).await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "text/xml; charset=utf-8"));
    assert!(!text.starts_with("<?xml"), "no XML declaration");
    let result = parse_xml(&text);
    assert_eq!(result.name, "result");
    assert_eq!(result.child("status").text, "0");
    assert_eq!(result.child("statusCode").text, "200");
    let person = result.child("response");
    let seed: Vec<String> = keys(&seed_person_response());
    assert_eq!(person.names(), seed.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(person.child("isCompany").text, "false");
    assert_eq!(person.child("isPrivate").text, "true");
    assert_eq!(person.child("haveLateTasks").text, "false");
    assert_eq!(person.child("company").child("isCompany").text, "true");
    assert!(person.child("currency").children.is_empty() && person.child("currency").text.is_empty());
    assert_eq!(person.child("id").text, id.to_string());
    assert!(text.contains("<currency />"), "null is an empty element: {text}");

    // Accept chooses XML too; the suffix beats it.
    let res = r
        .get(&format!("crm/contact/{id}"), &owner)
        .header("Accept", "text/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(read_text(res).await.1, "text/xml; charset=utf-8");
    let res = r
        .get(&format!("crm/contact/{id}.json"), &owner)
        .header("Accept", "application/xml")
        .send()
        .await;
    assert_eq!(read(res.unwrap()).await.1["response"]["id"], id);
}

#[tokio::test]
async fn a_person_can_be_created_from_a_form_or_an_xml_body() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let form = "firstName=Ann&lastName=Lee&shareType=ReadWrite&managerList[]=9924256A-739C-462b-AF15-E652A3B1B6EB\
                &managerList[]=98777e9c-f2a7-4e97-b314-ba9f92c2e882&customFieldList[0][Key]=3&customFieldList[0][Value]=blue";
    let res = r
        .post("crm/contact/person", &token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let (status, body) = read(res).await;
    let got = response(status, &body, 201);
    assert_eq!(
        (got["displayName"].as_str(), got["shareType"].as_i64()),
        (Some("Ann Lee"), Some(1))
    );

    let xml = "<request><firstName>Bo</firstName><lastName>Ng</lastName><managerList>9924256a-739c-462b-af15-e652a3b1b6eb</managerList></request>";
    let res = r
        .post("crm/contact/person.xml", &token)
        .header("Content-Type", "text/xml")
        .body(xml)
        .send()
        .await;
    let (status, ct, text) = read_text(res.unwrap()).await;
    assert_eq!((status, ct.as_str()), (StatusCode::CREATED, "text/xml; charset=utf-8"));
    let result = parse_xml(&text);
    assert_eq!(result.child("statusCode").text, "201");
    assert_eq!(result.child("response").child("displayName").text, "Bo Ng");
}

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\x01\0\x18\xdd\x8d\xb0\0\0\0\0IEND\xaeB`\x82";

#[tokio::test]
async fn a_photo_posted_as_multipart_is_served_back_byte_for_byte() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let form = Form::new()
        .text("firstName", "Pic")
        .text("lastName", "Ture")
        .text("managerList[]", "9924256a-739c-462b-af15-e652a3b1b6eb")
        .part(
            "photo",
            Part::bytes(PNG).file_name("me.png").mime_str("image/png").unwrap(),
        );
    let (status, body) = read(
        r.post("crm/contact/person", &token)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let got = response(status, &body, 201);
    let id = got["id"].as_i64().unwrap();
    let url = got["smallFotoUrl"].as_str().expect("a photo URL").to_string();
    assert!(url.starts_with(&format!("/api/2.0/crm/contact/{id}/photo")), "{url}");

    let res = r
        .client
        .get(format!("http://{}{url}", r.t.http_addr))
        .header("Authorization", &token)
        .send()
        .await;
    let res = res.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    // The photo needs a token, like everything else.
    let anonymous = r
        .client
        .get(format!("http://{}{url}", r.t.http_addr))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // The event refers to the photo; it never holds the bytes.
    let payload: Value = sqlx::query_scalar("SELECT payload FROM events WHERE aggregate_type = 'Person'")
        .fetch_one(&r.t.pool)
        .await
        .unwrap();
    assert!(payload.to_string().contains("image/png") && payload.to_string().len() < 2_000);
}

#[tokio::test]
async fn a_photo_that_is_not_an_image_is_refused_and_a_person_without_one_has_no_photo() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    for (bytes, ct) in [(b"<svg/>".as_slice(), "image/svg+xml"), (PNG, "text/plain")] {
        let form = Form::new().text("firstName", "X").part(
            "photo",
            Part::bytes(bytes.to_vec()).file_name("x").mime_str(ct).unwrap(),
        );
        let (status, body) = read(
            r.post("crm/contact/person", &token)
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(super::error_message(status, &body, 400).starts_with("photo:"), "{body}");
    }
    let (status, body) = read(
        r.post("crm/contact/person", &token)
            .json(&json!({"firstName": "No"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = response(status, &body, 201)["id"].as_i64().unwrap();
    let (status, body) = read(r.get(&format!("crm/contact/{id}/photo"), &token).send().await.unwrap()).await;
    super::error_message(status, &body, 404);
}

#[tokio::test]
async fn an_idempotency_key_retry_returns_the_same_person_and_creates_one() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let send = || {
        r.post("crm/contact/person", &token)
            .header("Idempotency-Key", "retry-me-1")
            .json(&seed_person_request())
            .send()
    };
    let (s1, first) = read(send().await.unwrap()).await;
    let (s2, second) = read(send().await.unwrap()).await;
    assert_eq!(response(s1, &first, 201)["id"], response(s2, &second, 201)["id"]);
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test]
async fn a_retry_after_the_person_changed_or_was_deleted_answers_the_first_result() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let send = || {
        r.post("crm/contact/person", &token)
            .header("Idempotency-Key", "first-result")
            .json(&json!({"firstName": "Ann", "lastName": "Lee", "shareType": "readWrite"}))
            .send()
    };
    let (status, first) = read(send().await.unwrap()).await;
    let id = response(status, &first, 201)["id"].as_i64().unwrap();
    let renamed = r
        .client
        .put(r.url(&format!("crm/contact/person/{id}")))
        .header("Authorization", &token)
        .json(&json!({"firstName": "Anne"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), StatusCode::OK);
    for step in ["renamed", "deleted"] {
        let res = send().await.unwrap();
        let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
        let (status, again) = read(res).await;
        assert_eq!(
            response(status, &again, 201),
            response(status, &first, 201),
            "{step}: {again}"
        );
        assert_eq!(etag.as_deref(), Some("\"1\""), "{step}");
        let deleted = r
            .client
            .delete(r.url(&format!("crm/contact/{id}")))
            .header("Authorization", &token)
            .send()
            .await
            .unwrap();
        assert!(deleted.status() == StatusCode::OK || step == "deleted");
    }
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 1);
    let gone = r.get(&format!("crm/contact/{id}"), &token).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND, "a retry recreates nothing");
}

#[tokio::test]
async fn a_retry_after_its_company_was_deleted_still_answers_the_first_result_without_the_company() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let (status, body) = read(
        r.post("crm/contact/company", &token)
            .json(&json!({"companyName": "Gone Ltd", "shareType": "readWrite"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let company = response(status, &body, 201)["id"].as_i64().unwrap();
    let send = || {
        r.post("crm/contact/person", &token)
            .header("Idempotency-Key", "first-result-company")
            .json(&json!({"firstName": "Ann", "lastName": "Lee", "companyId": company}))
            .send()
    };
    let (status, first) = read(send().await.unwrap()).await;
    let first = response(status, &first, 201).clone();
    assert_eq!(first["company"]["id"].as_i64(), Some(company));
    let deleted = r
        .client
        .delete(r.url(&format!("crm/contact/{company}")))
        .header("Authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    let res = send().await.unwrap();
    let etag = res.headers().get("etag").map(|v| v.to_str().unwrap().to_string());
    let (status, again) = read(res).await;
    let again = response(status, &again, 201);
    assert_eq!(
        (again["id"].clone(), etag.as_deref()),
        (first["id"].clone(), Some("\"1\""))
    );
    assert_eq!(again["firstName"], "Ann");
    assert!(again.get("company").is_none_or(Value::is_null), "{again}");
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test]
async fn the_person_filter_pages_with_total() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    for name in ["Ann", "Bob", "Cid", "Dee", "Eve"] {
        let res = r
            .post("crm/contact/person", &token)
            .json(&json!({"firstName": name, "lastName": "Zed"}))
            .send()
            .await;
        assert_eq!(res.unwrap().status(), StatusCode::CREATED);
    }
    let (status, body) = read(
        r.get(
            "crm/contact/filter?startIndex=1&count=2&sortBy=firstName&sortOrder=ascending",
            &token,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let items = response(status, &body, 200).as_array().unwrap();
    let names: Vec<_> = items.iter().map(|p| p["firstName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Bob", "Cid"]);
    assert_eq!(
        (body["total"].clone(), body["count"].clone(), body["startIndex"].clone()),
        (json!(5), json!(2), json!(1))
    );
    assert_eq!(body["nextIndex"], 4, "ONLYOFFICE's startIndex + count + 1");

    let (_, _, text) = read_text(
        r.get("crm/contact/filter.xml?filterValue=eve", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let result = parse_xml(&text);
    assert_eq!(result.child("total").text, "1");
    assert_eq!(result.all("response").len(), 1);
    assert_eq!(result.child("response").child("firstName").text, "Eve");
}
