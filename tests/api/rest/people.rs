//! People over REST: the seed's request as JSON and as a form, the seed's shape in JSON and XML
//! (`True`/`False`, repeated `ListAdminModules`), the four ways to read a user, and paging.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Rest, keys, kind, parse_xml, read, read_text, response, seed_user_request, seed_user_response};

/// Checks a user against seed 003: every field, with the seed's name, casing, order and JSON type,
/// except the documented deviations.
fn assert_seed_shape(got: &Value) {
    let seed = seed_user_response();
    assert_eq!(keys(got), keys(&seed), "the seed's names, casing and order");
    for (k, v) in seed.as_object().unwrap() {
        match k.as_str() {
            // Real lists (the seed's sample shows one element as an object; the XML is the same).
            "Contacts" | "Groups" => assert_eq!(kind(&got[k]), "array", "{k}"),
            // Not terminated and no mobile phone: null, as the live server sends them.
            "Terminated" | "MobilePhone" => assert_eq!(got[k], Value::Null, "{k}"),
            // ONLYOFFICE binds only "male"/"female"; anything else (the seed's "some text") is no sex.
            "Sex" if got[k].is_null() => {}
            _ => assert_eq!(kind(&got[k]), kind(v), "type of {k}"),
        }
    }
    // The seed request carries a contact: an empty list would skip the shape check.
    let contact = got["Contacts"].get(0).expect("the seed's contact is there");
    assert_eq!(keys(contact), keys(&seed["Contacts"]));
    // Its department GUIDs name no group: ignored, so no group without a name (rest::groups checks the
    // shape of real ones).
    assert_eq!(
        (got["Groups"].clone(), got["Department"].clone()),
        (json!([]), json!(""))
    );
}

#[tokio::test]
async fn the_seed_user_request_in_json_adds_a_user_with_every_seed_field() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (status, body) = read(
        r.post("people", &owner)
            .json(&seed_user_request("mike@example.com"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["count"], 1);
    let got = response(status, &body, 201);
    assert_seed_shape(got);
    assert_eq!(got["UserName"], "mike");
    assert_eq!(got["IsVisitor"], true);
    assert_eq!(got["Birthday"], "2008-04-10T06:30:00.0000000Z");
    assert_eq!(got["Contacts"], json!([{"Type": "GTalk", "Value": "my@gmail.com"}]));
    assert_eq!(got["Lead"], "9924256a-739c-462b-af15-e652a3b1b6eb");
    assert!(uuid::Uuid::parse_str(got["Id"].as_str().unwrap()).is_ok());
    // The password from the request works.
    r.login("mike@example.com", "some-text-1").await;
}

#[tokio::test]
async fn the_seed_user_request_as_a_form_binds_the_bracketed_contact() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    // The seed's fields as a form; email and password replaced as in `seed_user_request`, sex "male" so
    // the seed's "Sex" string comes back.
    let form = "isVisitor=false&email=ann%40example.com&firstname=Ann&lastname=Lee&department[]=9924256a-739c-462b-af15-e652a3b1b6eb\
                &title=Manager&location=Palo%20Alto&sex=male&birthday=2008-04-10T06-30-00.000Z&worksfrom=2008-04-10T06-30-00.000Z\
                &comment=hi&contacts[0][Type]=GTalk&contacts[0][Value]=my@gmail.com&files=http%3A%2F%2Fx%2Fa.png\
                &password=some-text-1&lead=9924256A-739C-462b-AF15-E652A3B1B6EB";
    let res = r
        .post("people", &owner)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form);
    let (status, body) = read(res.send().await.unwrap()).await;
    let got = response(status, &body, 201);
    assert_seed_shape(got);
    assert_eq!(got["Sex"], "male");
    assert_eq!(got["IsVisitor"], false);
    assert_eq!(got["Contacts"], json!([{"Type": "GTalk", "Value": "my@gmail.com"}]));
    assert_eq!(got["Location"], "Palo Alto");
}

#[tokio::test]
async fn a_user_reads_back_in_xml_with_title_case_booleans_and_an_admin_repeats_list_admin_modules() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let xml = "<request><isVisitor>true</isVisitor><email>vic@example.com</email><firstname>Vic</firstname>\
               <lastname>Tor</lastname><contacts><Type>GTalk</Type><Value>my@gmail.com</Value></contacts></request>";
    let res = r
        .post("people.xml", &owner)
        .header("Content-Type", "text/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    let (status, ct, text) = read_text(res).await;
    assert_eq!(
        (status, ct.as_str()),
        (StatusCode::CREATED, "text/xml; charset=utf-8"),
        "{text}"
    );
    let id = parse_xml(&text).child("response").child("Id").text.clone();

    let (_, _, text) = read_text(r.get(&format!("people/{id}.xml"), &owner).send().await.unwrap()).await;
    let user = parse_xml(&text);
    assert_eq!(user.name, "result");
    let user = user.child("response");
    let seed = keys(&seed_user_response());
    // Empty lists write no element (no groups, and no ListAdminModules for a non-admin); the rest
    // follow the seed's order.
    let expected: Vec<&str> = seed
        .iter()
        .map(String::as_str)
        .filter(|k| !["Groups", "ListAdminModules"].contains(k))
        .collect();
    assert_eq!(user.names(), expected);
    assert_eq!(user.child("IsVisitor").text, "True");
    assert_eq!(user.child("IsAdmin").text, "False");
    assert_eq!(user.child("IsLDAP").text, "False");
    assert_eq!(user.child("Contacts").child("Type").text, "GTalk");
    assert!(text.contains("<Terminated />"), "{text}");

    let (_, _, text) = read_text(r.get("people/@self.xml", &owner).send().await.unwrap()).await;
    let me = parse_xml(&text);
    let me = me.child("response");
    assert_eq!(me.child("IsOwner").text, "True");
    let modules: Vec<_> = me.all("ListAdminModules").iter().map(|e| e.text.as_str()).collect();
    assert!(modules.len() >= 2 && modules.contains(&"crm"), "{text}");
}

#[tokio::test]
async fn a_user_is_found_by_guid_by_user_name_by_email_and_as_self() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let token = r.member_token("Mike.Zanyatski@Example.com", false).await;
    let (status, body) = read(r.get("people/@self", &token).send().await.unwrap()).await;
    let me = response(status, &body, 200).clone();
    assert_eq!(me["UserName"], "Mike.Zanyatski");
    let id = me["Id"].as_str().unwrap();
    for path in [
        format!("people/{id}"),
        format!("people/{}", id.to_uppercase()),
        "people/Mike.Zanyatski".to_string(),
        "people/mike.zanyatski.json".to_string(),
        "people/email?email=mike.zanyatski%40example.com".to_string(),
        "People/Email.json?EMAIL=Mike.Zanyatski@Example.com".to_string(),
    ] {
        let (status, body) = read(r.get(&path, &owner).send().await.unwrap()).await;
        assert_eq!(response(status, &body, 200)["Id"], id, "{path}");
    }
    let (status, body) = read(r.get("people/nobody", &owner).send().await.unwrap()).await;
    super::error_message(status, &body, 404);
    let (status, body) = read(
        r.get(&format!("people/{}", uuid::Uuid::new_v4()), &owner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    super::error_message(status, &body, 404);
    let (status, body) = read(
        r.get("people/email?email=nobody%40example.com", &owner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    super::error_message(status, &body, 404);
    let (status, body) = read(r.get("people/email", &owner).send().await.unwrap()).await;
    assert!(super::error_message(status, &body, 400).starts_with("email:"));
}

#[tokio::test]
async fn people_lists_page_with_total() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    for name in ["ann", "bob", "cid"] {
        let body = json!({"email": format!("{name}@example.com"), "firstname": name, "lastname": "Zed"});
        assert_eq!(
            r.post("people", &owner).json(&body).send().await.unwrap().status(),
            StatusCode::CREATED
        );
    }
    for path in ["people?count=2", "people/filter?count=2&startIndex=0"] {
        let (status, body) = read(r.get(path, &owner).send().await.unwrap()).await;
        assert_eq!(response(status, &body, 200).as_array().unwrap().len(), 2, "{path}");
        assert_eq!(body["total"], 4, "the owner and three users: {path}");
        assert_eq!(body["nextIndex"], 3, "ONLYOFFICE's startIndex + count + 1");
    }
    let (status, body) = read(r.get("people/filter?filterValue=bob", &owner).send().await.unwrap()).await;
    assert_eq!(response(status, &body, 200)[0]["FirstName"], "bob");
    assert_eq!(body["total"], 1);
}
