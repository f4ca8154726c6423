//! Binding the seeds' requests and their variants.

use serde_json::json;
use uuid::Uuid;

use super::*;

fn seed_person() -> Value {
    json!({
      "firstName": "some text", "lastName": "some text", "jobTitle": "some text", "companyId": 1234,
      "about": "some text", "shareType": "none",
      "managerList": ["00000000-0000-0000-0000-000000000000"],
      "customFieldList": [{"Key": 0, "Value": null}],
      "photo": []
    })
}

fn seed_user() -> Value {
    json!({
      "isVisitor": true, "email": "some text", "firstname": "some text", "lastname": "some text",
      "department": ["9924256a-739c-462b-af15-e652a3b1b6eb", "98777e9c-f2a7-4e97-b314-ba9f92c2e882"],
      "title": "some text", "location": "some text", "sex": "some text",
      "birthday": "2008-04-10T06-30-00.000Z", "worksfrom": "2008-04-10T06-30-00.000Z", "comment": "some text",
      "contacts": [{"type": "GTalk", "value": "my@gmail.com"}], "files": "some text", "password": "some text",
      "lead": "9924256A-739C-462b-AF15-E652A3B1B6EB"
    })
}

#[test]
fn the_person_seed_request_binds_verbatim() {
    let d = person_draft(&seed_person()).unwrap();
    assert_eq!(d.first_name.as_deref(), Some("some text"));
    assert_eq!(d.company_id, Some(1234));
    assert_eq!(d.share_type, ShareType::None);
    assert_eq!(d.manager_list, vec![Uuid::nil()]);
    assert_eq!(d.custom_field_list, vec![CustomFieldInput { key: 0, value: None }]);
}

#[test]
fn the_user_seed_request_binds_verbatim() {
    let d = user_draft(&seed_user()).unwrap();
    assert!(d.is_visitor);
    assert_eq!(d.email.as_deref(), Some("some text"));
    assert_eq!(d.department.len(), 2);
    assert_eq!(d.sex, None, "anything but male/female means unset");
    assert_eq!(d.birthday.unwrap().to_api_string(), "2008-04-10T06:30:00.0000000Z");
    assert_eq!(
        d.contacts,
        vec![ContactInput {
            kind: "GTalk".into(),
            value: "my@gmail.com".into()
        }]
    );
    assert_eq!(d.lead.unwrap().to_string(), "9924256a-739c-462b-af15-e652a3b1b6eb");
    assert!(d.password.is_some());
}

#[test]
fn names_match_in_any_case_and_form_strings_convert() {
    let form = json!({
        "FIRSTNAME": "Ann", "companyid": "42", "ShareType": "ReadWrite", "managerList": ["", "9924256A-739C-462b-AF15-E652A3B1B6EB"],
        "customFieldList": {"1": {"Key": "7", "Value": "b"}, "0": {"key": "3", "value": "a"}}
    });
    let d = person_draft(&form).unwrap();
    assert_eq!(d.first_name.as_deref(), Some("Ann"));
    assert_eq!(d.company_id, Some(42));
    assert_eq!(d.share_type, ShareType::ReadWrite);
    assert_eq!(d.manager_list.len(), 1, "empty entries are skipped");
    let keys: Vec<_> = d.custom_field_list.iter().map(|c| c.key).collect();
    assert_eq!(keys, [3, 7], "form indices keep their order");
    let user = user_draft(&json!({"ISVISITOR": "True", "Contacts": {"0": {"Type": "skype", "Value": "x"}}})).unwrap();
    assert!(user.is_visitor);
    assert_eq!(user.contacts[0].kind, "skype");
}

#[test]
fn share_type_takes_numbers_and_names() {
    for (raw, want) in [
        (json!(2), ShareType::Read),
        (json!("1"), ShareType::ReadWrite),
        (json!("READ"), ShareType::Read),
    ] {
        assert_eq!(person_draft(&json!({"shareType": raw})).unwrap().share_type, want);
    }
}

#[test]
fn wrong_types_are_refused_naming_the_field() {
    let cases = [
        (json!({"firstName": 12}), "firstName"),
        (json!({"companyId": "abc"}), "companyId"),
        (json!({"companyId": 1.5}), "companyId"),
        (json!({"shareType": "public"}), "shareType"),
        (json!({"managerList": ["nope"]}), "managerList"),
        (json!({"customFieldList": [{"Value": "x"}]}), "customFieldList"),
        (json!({"customFieldList": [3]}), "customFieldList"),
    ];
    for (body, field) in cases {
        assert_eq!(person_draft(&body).unwrap_err().field, field, "{body}");
    }
    let user_cases = [
        (json!({"isVisitor": 1}), "isVisitor"),
        (json!({"isVisitor": "yes"}), "isVisitor"),
        (json!({"birthday": "10/04/2008"}), "birthday"),
        (json!({"lead": "x"}), "lead"),
        (json!({"department": [true]}), "department"),
        (json!({"email": ["a@b.io"]}), "email"),
    ];
    for (body, field) in user_cases {
        assert_eq!(user_draft(&body).unwrap_err().field, field, "{body}");
    }
    assert_eq!(person_draft(&json!([1, 2])).unwrap_err().field, "body");
}

#[test]
fn nulls_and_empty_strings_mean_absent() {
    let d = person_draft(&json!({"firstName": null, "companyId": "", "shareType": ""})).unwrap();
    assert_eq!(
        (d.first_name, d.company_id, d.share_type),
        (None, None, ShareType::None)
    );
    let u = user_draft(&json!({"birthday": "", "lead": "", "isVisitor": null})).unwrap();
    assert_eq!((u.birthday, u.lead, u.is_visitor), (None, None, false));
}

#[test]
fn a_company_binds_with_the_person_rules_for_shared_fields() {
    let body = json!({"CompanyName": "Acme", "shareType": "read", "managerList": [], "customFieldList": [{"Key": 1, "Value": "x"}]});
    let d = company_draft(&body).unwrap();
    assert_eq!(d.company_name.as_deref(), Some("Acme"));
    assert_eq!(d.share_type, ShareType::Read);
    assert_eq!(d.custom_field_list.len(), 1);
    assert_eq!(
        company_draft(&json!({"companyName": 5})).unwrap_err().field,
        "companyName"
    );
}

#[test]
fn control_characters_anywhere_name_their_field() {
    let cases = [
        (json!({"firstName": "A\u{0}"}), "firstName"),
        (json!({"firstName": "A", "managerList": ["\u{0}"]}), "managerList"),
        (
            json!({"firstName": "A", "customFieldList": [{"Key": 1, "Value": "\u{1}"}]}),
            "customFieldList",
        ),
    ];
    for (body, field) in cases {
        assert_eq!(person_draft(&body).unwrap_err().field, field, "{body}");
    }
    let user = json!({"email": "a@b.io", "contacts": [{"Type": "mail\u{7f}", "Value": "x"}]});
    assert_eq!(user_draft(&user).unwrap_err().field, "contacts");
    let multi_line = person_draft(&json!({"firstName": "A", "about": "one\r\n\ttwo"})).unwrap();
    assert_eq!(multi_line.about.as_deref(), Some("one\r\n\ttwo"));
}
