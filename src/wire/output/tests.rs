//! The DTOs against the seeds' response examples: same names, order and JSON types.

use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::application::{CompanyRef, Creator};
use crate::domain::datetime::ApiDateTime;
use crate::domain::user::{ActivationStatus, UserContact, UserStatus};

/// The `response` of seed 000 (POST crm/contact/person).
fn seed_person() -> Value {
    json!({
        "firstName": "Tadjeddine", "lastName": "Bachir",
        "company": {"companyName": "Food and Culture Project", "about": "", "haveLateTasks": false, "displayName": null,
                    "isCompany": true, "isPrivate": true, "isShared": false, "shareType": 0, "currency": null,
                    "canEdit": false, "canDelete": false, "id": 0},
        "title": "Programmer",
        "createBy": {"id": "00000000-0000-0000-0000-000000000000", "displayName": "Mike Zanyatski", "title": "Manager",
                     "avatarSmall": "url to small avatar", "profileUrl": ""},
        "created": "2021-11-26T04:36:28.5400491Z", "about": "", "haveLateTasks": false, "displayName": null,
        "isCompany": false, "isPrivate": true, "isShared": false, "shareType": 0, "currency": null,
        "canEdit": false, "canDelete": false, "id": 0
    })
}

/// The `response` of seed 003 (POST people).
fn seed_user() -> Value {
    json!({ "Id": "00000000-0000-0000-0000-000000000000", "UserName": "Mike.Zanyatski", "IsVisitor": false,
        "FirstName": "Mike", "LastName": "Zanyatski", "Email": "my@domain.com", "Birthday": "2008-04-10T06-30-00.000Z",
        "Sex": "male", "Status": 1, "ActivationStatus": 0, "Terminated": "2008-04-10T06-30-00.000Z",
        "Department": "Marketing", "WorkFrom": "2008-04-10T06-30-00.000Z", "Location": "Palo Alto",
        "Notes": "Notes to worker", "DisplayName": "Mike Zanyatski", "MobilePhone": "MobilePhone",
        "MobilePhoneActivationStatus": "1", "Title": "Manager", "Contacts": { "Type": "GTalk", "Value": "my@gmail.com" },
        "Groups": { "Id": "00000000-0000-0000-0000-000000000000", "Name": "Group Name", "Manager": "Jake.Zazhitski" },
        "Lead": "055312F1-1D71-4786-BB5B-D5910316E53C", "AvatarMedium": "url to medium avatar", "Avatar": "url to big avatar",
        "IsAdmin": false, "IsLDAP": false, "ListAdminModules": [ "projects", "crm" ], "IsOwner": false,
        "CultureName": "en-EN", "IsSSO": false, "AvatarSmall": "url to small avatar",
        "ProfileUrl": "\\/Products\\/People\\/Profile.aspx?user=administrator" })
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn viewer() -> Actor {
    Actor {
        id: Uuid::from_u128(1),
        user_name: "admin".into(),
        display_name: "A B".into(),
        title: None,
        is_admin: true,
        is_owner: true,
        is_visitor: false,
    }
}

fn person_view() -> PersonView {
    PersonView {
        id: 42,
        first_name: "Tadjeddine".into(),
        last_name: "Bachir".into(),
        title: Some("Programmer".into()),
        company: Some(CompanyRef {
            id: 7,
            name: Some("Food and Culture Project".into()),
            about: String::new(),
            share_type: ShareType::None,
            managers: Vec::new(),
        }),
        about: String::new(),
        share_type: ShareType::None,
        managers: vec![],
        custom_fields: vec![],
        photo: None,
        created_by: Creator {
            id: Uuid::from_u128(1),
            user_name: Some("mike".into()),
            display_name: Some("Mike Zanyatski".into()),
            title: Some("Manager".into()),
        },
        created_at: ApiDateTime::parse("2021-11-26T04:36:28.5400491Z").unwrap(),
        common_data: Vec::new(),
        version: 1,
    }
}

fn user_view() -> UserView {
    UserView {
        id: Uuid::from_u128(9),
        user_name: "Mike.Zanyatski".into(),
        email: "my@domain.com".into(),
        first_name: "Mike".into(),
        last_name: "Zanyatski".into(),
        is_visitor: false,
        is_admin: false,
        is_owner: false,
        groups: vec![
            crate::application::GroupRef {
                id: Uuid::from_u128(3),
                name: "Marketing".into(),
                manager: Some("Jake.Zazhitski".into()),
            },
            crate::application::GroupRef {
                id: Uuid::from_u128(5),
                name: "Sales & Co".into(),
                manager: None,
            },
        ],
        title: Some("Manager".into()),
        location: Some("Palo Alto".into()),
        sex: Some(crate::domain::values::Sex::Male),
        birthday: Some(ApiDateTime::parse("2008-04-10").unwrap()),
        works_from: ApiDateTime::parse("2008-04-10").unwrap(),
        notes: Some("Notes to worker".into()),
        contacts: vec![UserContact {
            kind: "GTalk".into(),
            value: "my@gmail.com".into(),
        }],
        avatar_url: None,
        lead: Some(Uuid::from_u128(4)),
        status: UserStatus::Active,
        activation_status: ActivationStatus::Pending,
        created_by: None,
        created_at: ApiDateTime::parse("2025-01-10").unwrap(),
        terminated: None,
        version: 1,
    }
}

#[test]
fn a_person_has_the_seed_fields_in_the_seed_order_with_the_seed_types() {
    let got = serde_json::to_value(person(&person_view(), &viewer())).unwrap();
    let seed = seed_person();
    assert_eq!(keys(&got), keys(&seed));
    assert_eq!(keys(&got["company"]), keys(&seed["company"]));
    assert_eq!(keys(&got["createBy"]), keys(&seed["createBy"]));
    for (k, v) in seed.as_object().unwrap() {
        // displayName is null in the documentation sample; the live server sends "First Last".
        if k != "displayName" {
            assert_eq!(kind(&got[k]), kind(v), "type of {k}");
        }
    }
    assert_eq!(got["displayName"], "Tadjeddine Bachir");
    // The seed's `.5400491`, kept to the microsecond as every date is (the 7th digit is always 0).
    assert_eq!(got["created"], "2021-11-26T04:36:28.5400490Z");
    assert_eq!(got["isPrivate"], true);
    assert_eq!(got["canEdit"], true, "the viewer is an admin");
}

#[test]
fn a_person_without_company_has_no_company_object() {
    let view = PersonView {
        company: None,
        ..person_view()
    };
    assert!(
        serde_json::to_value(person(&view, &viewer()))
            .unwrap()
            .get("company")
            .is_none()
    );
}

#[test]
fn a_user_has_the_seed_fields_in_the_seed_order() {
    let got = serde_json::to_value(user(&user_view())).unwrap();
    let seed = seed_user();
    assert_eq!(keys(&got), keys(&seed));
    for (k, v) in seed.as_object().unwrap() {
        match k.as_str() {
            // One-element collections in the documentation sample; real lists here (XML is identical).
            "Contacts" | "Groups" => assert_eq!(kind(&got[k]), "array"),
            // Not terminated: null, as the live server sends.
            "Terminated" => assert_eq!(got[k], Value::Null),
            "MobilePhone" => assert_eq!(got[k], Value::Null, "no mobile phone is collected"),
            _ => assert_eq!(kind(&got[k]), kind(v), "type of {k}"),
        }
    }
    assert_eq!(keys(&got["Contacts"][0]), keys(&seed["Contacts"]));
    assert_eq!(keys(&got["Groups"][0]), keys(&seed["Groups"]));
    let marketing = json!({"Id": Uuid::from_u128(3), "Name": "Marketing", "Manager": "Jake.Zazhitski"});
    assert_eq!(
        got["Groups"][0], marketing,
        "the seed's group, named as the seed names it"
    );
    assert_eq!(got["Groups"][1]["Manager"], Value::Null, "a group without a manager");
    assert_eq!(
        got["Department"], "Marketing, Sales & Co",
        "the names of the user's groups"
    );
    let alone = UserView {
        groups: vec![],
        ..user_view()
    };
    let alone = serde_json::to_value(user(&alone)).unwrap();
    assert_eq!(
        (alone["Department"].clone(), alone["Groups"].clone()),
        (json!(""), json!([]))
    );
    assert_eq!(got["Birthday"], "2008-04-10T00:00:00.0000000Z");
    assert_eq!(got["ProfileUrl"], "/Products/People/Profile.aspx?user=Mike.Zanyatski");
}

#[test]
fn envelopes_carry_count_status_and_paging() {
    let one = serde_json::to_value(Envelope::single(201, json!({"a": 1}))).unwrap();
    assert_eq!(
        one,
        json!({"count": 1, "status": 0, "statusCode": 201, "response": {"a": 1}})
    );
    let page = serde_json::to_value(Envelope::list(200, vec![json!(1), json!(2)], 2, 10)).unwrap();
    assert_eq!(
        keys(&page),
        [
            "count",
            "startIndex",
            "nextIndex",
            "total",
            "status",
            "statusCode",
            "response"
        ]
    );
    // ONLYOFFICE's startIndex + count + 1.
    assert_eq!((page["count"].clone(), page["nextIndex"].clone()), (json!(2), json!(5)));
    let last = serde_json::to_value(Envelope::list(200, vec![json!(1)], 9, 10)).unwrap();
    assert!(last.get("nextIndex").is_none());
    let empty = serde_json::to_value(Envelope::list(200, vec![], 0, 0)).unwrap();
    assert_eq!(
        empty,
        json!({"total": 0, "status": 0, "statusCode": 200, "response": []})
    );
    let e = serde_json::to_value(ErrorEnvelope::new(404, "person not found")).unwrap();
    assert_eq!(
        e,
        json!({"status": 1, "statusCode": 404, "error": {"message": "person not found"}})
    );
}
