//! The REST facade against the real server (`TestApp::spawn()`'s `http_addr`), over HTTP: the seeds'
//! requests verbatim, the seeds' response shapes in JSON and XML, every input form, and every error.

mod authentication;
mod companies;
mod company_links;
mod contacts;
mod errors;
mod groups;
pub mod hardening;
mod identities;
mod kept;
mod people;
mod people_lifecycle;
mod people_lifecycle_access;
mod persons;
mod visibility;

use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{MEMBER_PASSWORD, OWNER_EMAIL, OWNER_PASSWORD, TestApp};

/// A running service and an HTTP client for it.
pub struct Rest {
    pub t: TestApp,
    pub client: reqwest::Client,
}

impl Rest {
    /// A server whose CRM already holds the seed's company (id 1234, "Food and Culture Project"), so
    /// the seed's person request can be sent verbatim.
    pub async fn spawn() -> Rest {
        let t = TestApp::spawn().await;
        sqlx::query("SELECT setval('crm_contact_id_seq', 1233)")
            .execute(&t.pool)
            .await
            .unwrap();
        let company = rollcall::domain::company::CompanyDraft {
            company_name: Some("Food and Culture Project".into()),
            ..Default::default()
        };
        let created = t
            .app
            .create_company(&t.owner_meta().await, company, None)
            .await
            .unwrap();
        assert_eq!(created.id, 1234, "the seed's company id");
        Rest {
            t,
            client: crate::helpers::http_client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/api/2.0/{}", self.t.http_addr, path.trim_start_matches('/'))
    }

    pub fn get(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.get(self.url(path)).header("Authorization", token)
    }

    pub fn post(&self, path: &str, token: &str) -> RequestBuilder {
        self.client.post(self.url(path)).header("Authorization", token)
    }

    /// Logs in over REST and returns the token.
    pub async fn login(&self, user: &str, password: &str) -> String {
        let res = self
            .client
            .post(self.url("authentication"))
            .json(&json!({"userName": user, "password": password}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(res).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["response"]["token"].as_str().unwrap().to_string()
    }

    pub async fn owner_token(&self) -> String {
        self.login(OWNER_EMAIL, OWNER_PASSWORD).await
    }

    /// A member (or visitor) created through the application, logged in over REST.
    pub async fn member_token(&self, email: &str, visitor: bool) -> String {
        self.t.member(email, visitor).await;
        self.login(email, MEMBER_PASSWORD).await
    }
}

/// Status and JSON body.
pub async fn read(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// Status, content type and text.
pub async fn read_text(res: reqwest::Response) -> (StatusCode, String, String) {
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, res.text().await.unwrap())
}

/// Asserts an error envelope with `code`, and returns its message.
pub fn error_message(status: StatusCode, body: &Value, code: u16) -> String {
    assert_eq!(status.as_u16(), code, "{body}");
    assert_eq!(body["status"], 1, "{body}");
    assert_eq!(body["statusCode"], code, "{body}");
    assert!(body.get("response").is_none());
    let message = body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("a message: {body}"));
    assert!(!message.is_empty());
    message.to_string()
}

pub fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// An XML element: its name, text and children, in document order.
#[derive(Debug)]
pub struct Elem {
    pub name: String,
    pub text: String,
    pub children: Vec<Elem>,
}

impl Elem {
    pub fn child(&self, name: &str) -> &Elem {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("<{}> has no <{name}>", self.name))
    }

    pub fn all(&self, name: &str) -> Vec<&Elem> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    pub fn names(&self) -> Vec<&str> {
        self.children.iter().map(|c| c.name.as_str()).collect()
    }
}

/// Parses an XML document (failing the test if it is not well-formed).
pub fn parse_xml(text: &str) -> Elem {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Elem> = vec![Elem {
        name: String::new(),
        text: String::new(),
        children: vec![],
    }];
    let elem = |name: &str| Elem {
        name: name.to_string(),
        text: String::new(),
        children: vec![],
    };
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("malformed XML ({e}): {text}"))
        {
            Event::Start(e) => stack.push(elem(e.name().as_ref())),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(elem(e.name().as_ref())),
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let c = quick_xml::escape::resolve_predefined_entity(&name).unwrap_or("?");
                stack.last_mut().unwrap().text.push_str(c);
            }
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let mut doc = stack.pop().unwrap();
    assert_eq!(doc.children.len(), 1, "one root element");
    doc.children.pop().unwrap()
}

/// Seed 000's request body, verbatim.
pub fn seed_person_request() -> Value {
    json!({
      "firstName": "some text",
      "lastName": "some text",
      "jobTitle": "some text",
      "companyId": 1234,
      "about": "some text",
      "shareType": "none",
      "managerList": [
        "00000000-0000-0000-0000-000000000000"
      ],
      "customFieldList": [
        {
          "Key": 0,
          "Value": null
        }
      ],
      "photo": []
    })
}

/// Seed 000's response example (`response`).
pub fn seed_person_response() -> Value {
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

/// Seed 003's request body, verbatim except two values the service must refuse as they stand: the
/// email `"some text"` (not an address) and the password `"some text"` (the policy forbids spaces).
pub fn seed_user_request(email: &str) -> Value {
    json!({ "isVisitor": true, "email": email, "firstname": "some text", "lastname": "some text",
        "department": [ "9924256a-739c-462b-af15-e652a3b1b6eb", "98777e9c-f2a7-4e97-b314-ba9f92c2e882" ],
        "title": "some text", "location": "some text", "sex": "some text", "birthday": "2008-04-10T06-30-00.000Z",
        "worksfrom": "2008-04-10T06-30-00.000Z", "comment": "some text",
        "contacts": [ { "type": "GTalk", "value": "my@gmail.com" } ], "files": "some text",
        "password": "some-text-1", "lead": "9924256A-739C-462b-AF15-E652A3B1B6EB" })
}

/// Seed 003's response example (`response`).
pub fn seed_user_response() -> Value {
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

/// A success envelope's `response`, after checking the envelope.
pub fn response(status: StatusCode, body: &Value, code: u16) -> &Value {
    assert_eq!(status.as_u16(), code, "{body}");
    assert_eq!(body["status"], 0, "{body}");
    assert_eq!(body["statusCode"], code, "{body}");
    &body["response"]
}

/// Another instance of the service on the same database, NATS prefix and auth secret, with its
/// application; it stops when dropped.
pub struct Instance {
    pub app: rollcall::application::App,
    pub http: std::net::SocketAddr,
    shutdown: tokio_util::sync::CancellationToken,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub async fn second_instance(r: &Rest) -> Instance {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let running = rollcall::startup::start(&r.t.settings, shutdown.clone())
        .await
        .expect("a second instance starts");
    let (app, http) = (running.app.clone(), running.http_addr);
    tokio::spawn(running.stopped());
    Instance { app, http, shutdown }
}
