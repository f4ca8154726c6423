//! CRM companies over REST: create, the person seed's nested company, either kind by id, the
//! company's persons, and an unknown companyId.

use serde_json::{Value, json};

use super::{Rest, error_message, keys, read, read_text, response, seed_person_request, seed_person_response};

#[tokio::test]
async fn a_company_is_created_and_served_by_id_with_its_persons() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let body = json!({"companyName": "Acme", "shareType": "readWrite"});
    let (status, body) = read(r.post("crm/contact/company", &token).json(&body).send().await.unwrap()).await;
    let acme = response(status, &body, 201).clone();
    // The nested company of the person seed, in its order, is part of a company's answer.
    let order: Vec<String> = keys(&acme)
        .into_iter()
        .filter(|k| keys(&seed_person_response()["company"]).contains(k))
        .collect();
    assert_eq!(order, keys(&seed_person_response()["company"]));
    assert_eq!(
        (acme["isCompany"].clone(), acme["shareType"].clone()),
        (json!(true), json!(1))
    );
    let id = acme["id"].as_i64().unwrap();

    let person = json!({"firstName": "Ann", "companyId": id});
    let (status, body) = read(r.post("crm/contact/person", &token).json(&person).send().await.unwrap()).await;
    let ann = response(status, &body, 201).clone();
    assert_eq!(ann["company"]["companyName"], "Acme");
    assert_ne!(ann["id"], acme["id"], "persons and companies never share an id");

    let (status, body) = read(r.get(&format!("crm/contact/{id}"), &token).send().await.unwrap()).await;
    assert_eq!(response(status, &body, 200)["companyName"], "Acme");
    let (status, body) = read(
        r.get(&format!("crm/contact/{}", ann["id"]), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(response(status, &body, 200)["firstName"], "Ann");

    let (status, body) = read(
        r.get(&format!("crm/contact/company/{id}/person"), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let persons: Vec<Value> = response(status, &body, 200).as_array().unwrap().clone();
    assert_eq!(persons.len(), 1);
    assert_eq!(persons[0]["id"], ann["id"]);
    let (status, _, xml) = read_text(
        r.get(&format!("crm/contact/company/{id}/person.xml"), &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status.as_u16(), 200);
    assert!(
        xml.contains("<companyName>Acme</companyName>") && xml.contains("<isCompany>true</isCompany>"),
        "{xml}"
    );
}

#[tokio::test]
async fn the_seed_person_request_returns_the_nested_company_filled_in() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let (status, body) = read(
        r.post("crm/contact/person", &token)
            .json(&seed_person_request())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let company = &response(status, &body, 201)["company"];
    assert_eq!(
        (company["id"].clone(), company["companyName"].clone()),
        (json!(1234), json!("Food and Culture Project"))
    );
    assert_eq!(company["isCompany"], true);
}

#[tokio::test]
async fn an_unknown_company_is_404_and_creates_nothing() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let person = json!({"firstName": "Ann", "companyId": 99_999});
    let (status, body) = read(r.post("crm/contact/person", &token).json(&person).send().await.unwrap()).await;
    assert!(error_message(status, &body, 404).contains("company"));
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 0);
    let (status, body) = read(r.get("crm/contact/company/99999/person", &token).send().await.unwrap()).await;
    error_message(status, &body, 404);
    let (status, body) = read(
        r.post("crm/contact/company", &token)
            .json(&json!({"companyName": ""}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(error_message(status, &body, 400).contains("companyName"));
}
