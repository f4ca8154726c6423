//! The XML writer against the conversion rules of the live server (and the seeds' samples), and the
//! `text/xml` body reader.

use serde_json::json;

use super::*;

#[test]
fn objects_nest_in_order_and_scalars_are_text() {
    let v = json!({"status": 0, "response": {"firstName": "Ann", "company": {"id": 7}, "shareType": 0}});
    assert_eq!(
        document(&v, Booleans::Lower),
        "<result><status>0</status><response><firstName>Ann</firstName><company><id>7</id></company>\
         <shareType>0</shareType></response></result>"
    );
}

#[test]
fn null_is_self_closing_and_empty_string_is_an_open_close_pair() {
    let v = json!({"displayName": null, "about": "", "data": {}});
    assert_eq!(
        document(&v, Booleans::Lower),
        "<result><displayName /><about></about><data /></result>"
    );
}

#[test]
fn arrays_repeat_the_element_and_empty_arrays_vanish() {
    let v = json!({"ListAdminModules": ["projects", "crm"], "Groups": [], "Contacts": [{"Type": "GTalk"}]});
    assert_eq!(
        document(&v, Booleans::Title),
        "<result><ListAdminModules>projects</ListAdminModules><ListAdminModules>crm</ListAdminModules>\
         <Contacts><Type>GTalk</Type></Contacts></result>"
    );
}

#[test]
fn a_list_response_is_repeated_response_elements() {
    let v = json!({"count": 2, "response": [{"id": 1}, {"id": 2}]});
    assert_eq!(
        document(&v, Booleans::Lower),
        "<result><count>2</count><response><id>1</id></response><response><id>2</id></response></result>"
    );
}

#[test]
fn booleans_are_lowercase_for_crm_and_title_case_for_people() {
    let v = json!({"a": true, "b": false});
    assert_eq!(
        document(&v, Booleans::Lower),
        "<result><a>true</a><b>false</b></result>"
    );
    assert_eq!(
        document(&v, Booleans::Title),
        "<result><a>True</a><b>False</b></result>"
    );
}

#[test]
fn text_is_escaped_and_characters_xml_cannot_hold_are_replaced() {
    let v = json!({"about": "a<b & c>d \u{1} /x"});
    assert_eq!(
        document(&v, Booleans::Lower),
        "<result><about>a&lt;b &amp; c&gt;d \u{FFFD} /x</about></result>"
    );
}

#[test]
fn names_that_are_not_xml_names_are_encoded_like_dotnet() {
    assert_eq!(element_name("0"), "_x0030_");
    assert_eq!(element_name("@self"), "_x0040_self");
    assert_eq!(element_name("statusCode"), "statusCode");
}

#[test]
fn an_xml_body_binds_like_json_with_repeated_children_as_arrays() {
    let body = "<?xml version=\"1.0\"?>\n<request>\n  <firstName>Ann &amp; Co</firstName>\n  <managerList>a</managerList>\
                <managerList>b</managerList><contacts><Type>GTalk</Type><Value>x@y.io</Value></contacts>\
                <about/><note><![CDATA[<raw>]]></note></request>";
    assert_eq!(
        parse_body(body).unwrap(),
        json!({"firstName": "Ann & Co", "managerList": ["a", "b"],
               "contacts": {"Type": "GTalk", "Value": "x@y.io"}, "about": "", "note": "<raw>"})
    );
}

#[test]
fn malformed_xml_bodies_are_refused() {
    assert!(parse_body("<request><a>1</b></request>").is_err());
    assert!(parse_body("<request><a>1</a>").is_err());
    assert!(parse_body("not xml").is_err());
    assert!(parse_body("<request>text</request>").is_err());
    assert!(parse_body("<!DOCTYPE x [<!ENTITY e \"boom\">]><request><a>&e;</a></request>").is_err());
    let deep = format!("<r>{}{}</r>", "<a>".repeat(20), "</a>".repeat(20));
    assert!(parse_body(&deep).is_err());
}

#[test]
fn an_empty_root_is_an_empty_body() {
    assert_eq!(parse_body("<request/>").unwrap(), json!({}));
    assert_eq!(parse_body("<request> </request>").unwrap(), json!({}));
}
