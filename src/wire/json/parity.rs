//! One payload, two trees, one outcome: every binder gives the same draft, patch or error for a JSON
//! body read as REST reads it (`serde_json::Value`) and as NATS reads it (`Json`).

use serde_json::Value;

use super::Json;
use crate::wire::{changes, groups, input, people};

const ANN: &str = "9924256a-739c-462b-af15-e652a3b1b6eb";

/// Binds every payload both ways and asserts the same outcome (through `Debug`, which every draft,
/// patch and error has); the table must hold good and bad payloads alike.
macro_rules! same_outcome {
    ($bind:expr, $payloads:expr) => {{
        let (mut good, mut bad) = (0, 0);
        for payload in $payloads {
            let payload = payload.replace("ANN", ANN);
            let value: Value = serde_json::from_str(&payload).expect("the table holds valid JSON");
            let json = Json::parse(payload.as_bytes()).expect("the table holds valid JSON");
            let (rest, nats) = ($bind(&value), $bind(&json));
            assert_eq!(
                format!("{rest:?}"),
                format!("{nats:?}"),
                "{} {payload}",
                stringify!($bind)
            );
            if rest.is_ok() { good += 1 } else { bad += 1 }
        }
        assert!(good > 0 && bad > 0, "{}: {good} good, {bad} bad", stringify!($bind));
    }};
}

/// Payloads every body binder meets: not objects, repeats, case variants, escapes.
const COMMON: [&str; 12] = [
    "[]",
    "null",
    "\"x\"",
    "7",
    "{}",
    r#"{"firstName":"A","firstName":"B","FIRSTNAME":"C"}"#,
    r#"{"FIRSTNAME":"C","firstName":"A","firstName":null}"#,
    r#"{"firstName":"An\u00e9","about":"one\r\n\ttwo","jobTitle":"x\"y"}"#,
    r#"{"firstName":"A\u0000"}"#,
    r#"{"about":"\u001b[31m"}"#,
    r#"{"id":7,"ID":"8","userid":"ANN","personid":"3","dataid":2}"#,
    r#"{"id":1.5,"dataid":-1,"userid":5}"#,
];

const PERSONS: [&str; 18] = [
    r#"{"firstName":"Bench","lastName":"x-123","jobTitle":"Programmer","about":"A short CRM note.","shareType":0}"#,
    r#"{"firstName":"some text","lastName":"some text","jobTitle":"some text","companyId":1234,"about":"some text",
        "shareType":"none","managerList":["00000000-0000-0000-0000-000000000000"],
        "customFieldList":[{"Key":0,"Value":null}],"photo":[]}"#,
    r#"{"FIRSTNAME":"Ann","companyid":"42","ShareType":"ReadWrite","managerList":["","ANN"],
        "customFieldList":{"1":{"Key":"7","Value":"b"},"0":{"key":"3","value":"a"}}}"#,
    r#"{"customFieldList":{"1":{"Key":1},"0":{"Key":2},"1":{"Key":3}}}"#,
    r#"{"customFieldList":{"0":{"Key":1},"00":{"Key":2},"a":{"Key":3}}}"#,
    r#"{"customFieldList":[{"Key":1,"Value":2.50},{"Key":2,"Value":true},{"Key":3,"Value":-0},{"Key":4,"Value":1e2}]}"#,
    r#"{"customFieldList":[{"Key":1,"Value":"x","value":"y"},{"key":2,"Key":3,"VALUE":"z"},null]}"#,
    r#"{"customFieldList":{"Key":5,"Value":"single"}}"#,
    r#"{"customFieldList":[{"Value":"x"}]}"#,
    r#"{"customFieldList":[3]}"#,
    r#"{"customFieldList":[{"Key":1,"Value":[1]}]}"#,
    r#"{"customFieldList":[{"Key":1,"Value":"\u0001"}]}"#,
    r#"{"companyId":"abc"}"#,
    r#"{"companyId":1.5,"firstName":12}"#,
    r#"{"companyId":18446744073709551615}"#,
    r#"{"shareType":"public"}"#,
    r#"{"shareType":2.0}"#,
    r#"{"managerList":["nope"],"firstName":null,"companyId":"","shareType":""}"#,
];

const COMPANIES: [&str; 4] = [
    r#"{"CompanyName":"Acme","shareType":"read","managerList":[],"customFieldList":[{"Key":1,"Value":"x"}]}"#,
    r#"{"companyName":5}"#,
    r#"{"companyName":"Acme","managerList":"ANN"}"#,
    r#"{"companyName":"Acme","managerList":{"0":"ANN","1":""}}"#,
];

const USERS: [&str; 12] = [
    r#"{"isVisitor":true,"email":"some text","firstname":"some text","lastname":"some text",
        "department":["ANN","98777e9c-f2a7-4e97-b314-ba9f92c2e882"],"title":"t","location":"l","sex":"some text",
        "birthday":"2008-04-10T06-30-00.000Z","worksfrom":"2008-04-10T06-30-00.000Z","comment":"c",
        "contacts":[{"type":"GTalk","value":"my@gmail.com"}],"files":"f","password":"p","lead":"ANN"}"#,
    r#"{"ISVISITOR":"True","Contacts":{"0":{"Type":"skype","Value":"x"}},"sex":"female"}"#,
    r#"{"contacts":[{"Type":"mail","Value":"a"},{"Type":"phone"}]}"#,
    r#"{"contacts":[{"Type":"mail\u007f","Value":"x"}]}"#,
    r#"{"contacts":["x"]}"#,
    r#"{"contacts":[{"Type":5}]}"#,
    r#"{"isVisitor":1}"#,
    r#"{"isVisitor":"yes"}"#,
    r#"{"birthday":"10/04/2008"}"#,
    r#"{"lead":"x"}"#,
    r#"{"department":[true]}"#,
    r#"{"email":["a@b.io"],"birthday":"","lead":"","isVisitor":null}"#,
];

const PERSON_PATCHES: [&str; 8] = [
    r#"{"firstName":"Ann","jobTitle":null,"about":"","companyId":0}"#,
    r#"{"shareType":"read","companyId":"12","managerList":[],"customFieldList":null}"#,
    r#"{"companyId":-1}"#,
    r#"{"companyId":null,"lastName":5}"#,
    r#"{"lastName":"B","LASTNAME":null}"#,
    r#"{"shareType":null,"managerList":null}"#,
    r#"{"customFieldList":[{"Key":"x"}]}"#,
    r#"{"about":"a\u0000"}"#,
];

const ACCESS: [&str; 5] = [
    r#"{"isShared":true}"#,
    r#"{"isShared":"false","managerList":["ANN"]}"#,
    r#"{"shareType":2,"isShared":true}"#,
    r#"{"isShared":"maybe"}"#,
    r#"{"shareType":null,"isShared":null,"managerList":null}"#,
];

const CONTACT_DATA: [&str; 9] = [
    r#"{"infoType":"email","data":"a@b.io","isPrimary":true}"#,
    r#"{"infoType":0,"category":"2","isPrimary":"false"}"#,
    r#"{"infoType":"Fax"}"#,
    r#"{"infoType":1.5}"#,
    r#"{"infoType":[]}"#,
    r#"{"infoType":"","category":null,"data":null}"#,
    r#"{"category":"x"}"#,
    r#"{"category":4294967296}"#,
    r#"{"data":"\u0007"}"#,
];

const USER_PATCHES: [&str; 7] = [
    r#"{"firstname":"Ann","title":null,"location":"","sex":"robot","birthday":"1900-01-01T00:00:00Z",
        "lead":"","disable":"true"}"#,
    r#"{"department":[],"contacts":null,"isVisitor":false}"#,
    r#"{"department":{"0":"ANN"},"contacts":{"0":{"type":"t","value":"v"}},"worksfrom":"2020-01-02"}"#,
    r#"{"lead":"x"}"#,
    r#"{"birthday":"soon"}"#,
    r#"{"disable":"perhaps"}"#,
    r#"{"sex":"MALE","lead":"ANN","birthday":" "}"#,
];

const USER_IDS: [&str; 6] = [
    r#"{"userIds":["ANN"]}"#,
    r#"{"userIds":"ANN"}"#,
    r#"{"userIds":{"1":"ANN","0":"ANN"}}"#,
    r#"{"userIds":null}"#,
    r#"{"userIds":["x"]}"#,
    r#"{"USERIDS":[],"userids":["ANN"]}"#,
];

const ADMINISTRATORS: [&str; 5] = [
    r#"{"userid":"ANN","administrator":"True"}"#,
    r#"{"userid":"ANN","productid":"00000000-0000-0000-0000-000000000000"}"#,
    r#"{"userid":"ANN","productid":"6743007c-6f95-4d20-8c88-a8601ce5e76d"}"#,
    r#"{"administrator":true}"#,
    r#"{"userid":"ANN","administrator":1}"#,
];

const GROUPS: [&str; 12] = [
    r#"{"groupName":"A","groupName":"B","members":["ANN"],"Members":[],"members":null,"userid":"ANN"}"#,
    r#"{"groupName":"Sales","groupManager":"00000000-0000-0000-0000-000000000000"}"#,
    r#"{"groupName":"Sales","groupManager":"ANN","members":["ANN",""]}"#,
    r#"{"GROUPMANAGER":"ANN","members":[]}"#,
    r#"{"groupName":null,"members":null}"#,
    r#"{"groupManager":null}"#,
    r#"{"groupManager":""}"#,
    r#"{"members":["x"]}"#,
    r#"{"members":"ANN","userid":"ANN"}"#,
    r#"{"userid":"nope"}"#,
    r#"{"groupName":7}"#,
    r#"{"groupName":"S\u0000"}"#,
];

fn email<N: crate::wire::node::Node>(body: &N) -> Result<String, input::BindError> {
    people::required(body, "email")
}

#[test]
fn contacts_bind_the_same_from_nats_json_and_rest_values() {
    same_outcome!(input::person_draft, COMMON.iter().chain(&PERSONS));
    same_outcome!(input::company_draft, COMMON.iter().chain(&COMPANIES).chain(&PERSONS));
    same_outcome!(
        changes::person_patch,
        COMMON.iter().chain(&PERSON_PATCHES).chain(&PERSONS)
    );
    same_outcome!(
        changes::company_patch,
        COMMON.iter().chain(&COMPANIES).chain(&PERSON_PATCHES)
    );
    same_outcome!(changes::access, COMMON.iter().chain(&ACCESS).chain(&PERSON_PATCHES));
    same_outcome!(changes::contact_info, COMMON.iter().chain(&CONTACT_DATA));
    same_outcome!(changes::person_id, COMMON.iter().chain(&PERSONS));
    same_outcome!(changes::contact_id, COMMON.iter().chain(&PERSON_PATCHES));
    same_outcome!(changes::data_id, COMMON.iter().chain(&CONTACT_DATA));
}

#[test]
fn users_bind_the_same_from_nats_json_and_rest_values() {
    same_outcome!(input::user_draft, COMMON.iter().chain(&USERS));
    same_outcome!(people::user_patch, COMMON.iter().chain(&USER_PATCHES).chain(&USERS));
    same_outcome!(people::user_ids, COMMON.iter().chain(&USER_IDS));
    same_outcome!(people::administrator, COMMON.iter().chain(&ADMINISTRATORS));
    same_outcome!(email, COMMON.iter().chain(&USERS));
}

#[test]
fn groups_bind_the_same_from_nats_json_and_rest_values() {
    same_outcome!(groups::group_draft, COMMON.iter().chain(&GROUPS));
    same_outcome!(groups::group_patch, COMMON.iter().chain(&GROUPS));
    same_outcome!(groups::members, COMMON.iter().chain(&GROUPS));
    same_outcome!(groups::manager, COMMON.iter().chain(&GROUPS));
}
