//! Hostile input over REST (issue 14): control characters, text that is not UTF-8, non-positive
//! company ids, dates finer than the store keeps, made-up HTTP methods and half-sent requests. Each
//! is a 4xx naming the input (or a closed connection), never a 500, and nothing is created.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Rest, error_message, read, response};
use crate::helpers::{OWNER_PASSWORD, TestApp, test_settings};

/// The error message of a 400, after checking the envelope.
async fn bad_request(res: reqwest::RequestBuilder) -> String {
    let (status, body) = read(res.send().await.unwrap()).await;
    error_message(status, &body, 400)
}

#[track_caller]
fn names(message: &str, field: &str) {
    assert!(message.starts_with(&format!("{field}: ")), "{field}: {message}");
}

#[tokio::test]
async fn control_characters_are_400_naming_the_field_wherever_input_is_bound() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let person = |body: Value| r.post("crm/contact/person", &token).json(&body);
    names(
        &bad_request(person(json!({"firstName": "A\u{0}nn"}))).await,
        "firstName",
    );
    names(
        &bad_request(person(json!({"firstName": "Ann", "about": "bell \u{7}"}))).await,
        "about",
    );
    names(
        &bad_request(person(json!({"firstName": "Ann", "jobTitle": "\u{1b}[31m"}))).await,
        "jobTitle",
    );
    names(
        &bad_request(person(
            json!({"firstName": "Ann", "customFieldList": [{"Key": 1, "Value": "x\u{0}"}]}),
        ))
        .await,
        "customFieldList",
    );
    let user = json!({"email": "ann@x.io", "firstname": "Ann", "lastname": "Lee",
                      "contacts": [{"Type": "mail", "Value": "a\u{0}@x.io"}]});
    names(&bad_request(r.post("people", &token).json(&user)).await, "contacts");
    names(
        &bad_request(r.post("people", &token).json(&json!({"email": "a\u{0}@x.io",
            "firstname": "Ann", "lastname": "Lee"})))
        .await,
        "email",
    );
    // The login name, list filters, a path segment and a lookup by email.
    let login = r
        .client
        .post(r.url("authentication"))
        .json(&json!({"userName": "owner\u{0}@example.com", "password": OWNER_PASSWORD}));
    names(&bad_request(login).await, "userName");
    for path in ["crm/contact/filter", "people/filter", "people"] {
        names(
            &bad_request(r.get(&format!("{path}?filterValue=a%00b"), &token)).await,
            "filterValue",
        );
    }
    names(&bad_request(r.get("people/ann%00", &token)).await, "id");
    names(
        &bad_request(r.get("people/email?email=a%00%40x.io", &token)).await,
        "email",
    );

    // Changes are bound by the same rule (a NUL in an update once reached PostgreSQL: a 500).
    let (status, body) = read(person(json!({"firstName": "Ann"})).send().await.unwrap()).await;
    let ann = response(status, &body, 201)["id"].as_i64().unwrap();
    let (status, body) = read(
        r.post("crm/contact/company", &token)
            .json(&json!({"companyName": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let acme = response(status, &body, 201)["id"].as_i64().unwrap();
    let put = |path: String, body: Value| r.client.put(r.url(&path)).header("Authorization", &token).json(&body);
    for (path, body, field) in [
        (
            format!("crm/contact/person/{ann}"),
            json!({"about": "a\u{0}b"}),
            "about",
        ),
        (
            format!("crm/contact/person/{ann}"),
            json!({"firstName": "A\u{1}nn"}),
            "firstName",
        ),
        (
            format!("crm/contact/company/{acme}"),
            json!({"about": "bell \u{7}"}),
            "about",
        ),
        (
            format!("crm/contact/company/{acme}"),
            json!({"companyName": "\u{0}"}),
            "companyName",
        ),
    ] {
        names(&bad_request(put(path.clone(), body)).await, field);
    }
    let changes: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type LIKE '%Updated'")
        .fetch_one(&r.t.pool)
        .await
        .unwrap();
    assert_eq!(changes, 0, "no refused change was stored");

    // Tab, line feed and carriage return are text, not control input.
    let res = person(json!({"firstName": "Ann", "about": "line one\r\n\tline two"}));
    let (status, body) = read(res.send().await.unwrap()).await;
    assert_eq!(response(status, &body, 201)["about"], "line one\r\n\tline two");
    assert_eq!(
        r.t.count_events("Person", "PersonCreated").await,
        2,
        "Ann and the multi-line one"
    );
    assert_eq!(r.t.count_events("User", "UserCreated").await, 1, "only the owner");
}

#[tokio::test]
async fn text_that_is_not_utf8_or_refers_to_a_control_character_is_400() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let form = r
        .post("crm/contact/person", &token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("firstName=%FF%FE&lastName=Lee");
    names(&bad_request(form).await, "firstName");
    let form = r
        .post("crm/contact/person", &token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("firstName=Ann&lastName=%00");
    names(&bad_request(form).await, "lastName");
    let multipart = Form::new()
        .part("firstName", Part::bytes(vec![b'A', 0xFF, 0xFE]))
        .text("lastName", "Lee");
    names(
        &bad_request(r.post("crm/contact/person", &token).multipart(multipart)).await,
        "firstName",
    );
    let xml = r
        .post("crm/contact/person", &token)
        .header("Content-Type", "text/xml")
        .body("<request><firstName>A&#x1;</firstName></request>");
    let message = bad_request(xml).await;
    assert!(
        message.starts_with("firstName: ") || message.starts_with("body: "),
        "{message}"
    );
    names(
        &bad_request(r.get("crm/contact/filter?filterValue=%FF", &token)).await,
        "filterValue",
    );
    // A query string is checked on every route, also where the route does not read it.
    let put = r
        .client
        .put(r.url("crm/contact/person/1?bogus=a%07b"))
        .header("Authorization", &token)
        .json(&json!({}));
    names(&bad_request(put).await, "bogus");
    names(
        &bad_request(
            r.post("crm/contact/person?note=a%00b", &token)
                .json(&json!({"firstName": "Ann"})),
        )
        .await,
        "note",
    );
    for path in ["crm/contact/%FF", "people/%FF%FE"] {
        names(&bad_request(r.get(path, &token)).await, "id");
    }
    // A body in a content coding the service does not decode is refused, not read as plain text.
    for coding in ["gzip", "br", "identity, gzip"] {
        let res = r
            .post("crm/contact/person", &token)
            .header("Content-Encoding", coding)
            .json(&json!({"firstName": "Ann"}))
            .send()
            .await
            .unwrap();
        let (status, body) = read(res).await;
        assert!(
            error_message(status, &body, 415).contains("Content-Encoding"),
            "{coding}: {body}"
        );
    }
    let plain = r
        .post("crm/contact/person", &token)
        .header("Content-Encoding", "identity")
        .json(&json!({"firstName": "Ann"}));
    assert_eq!(plain.send().await.unwrap().status(), reqwest::StatusCode::CREATED);
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test]
async fn a_company_id_of_zero_or_less_is_400_instead_of_no_company() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    for id in [json!(0), json!(-5), json!("-1")] {
        let body = json!({"firstName": "Ann", "companyId": id});
        names(
            &bad_request(r.post("crm/contact/person", &token).json(&body)).await,
            "companyId",
        );
    }
    // Absent or empty still means no company.
    let res = r
        .post("crm/contact/person", &token)
        .json(&json!({"firstName": "Ann", "companyId": ""}));
    let (status, body) = read(res.send().await.unwrap()).await;
    assert!(response(status, &body, 201).get("company").is_none(), "{body}");
    assert_eq!(r.t.count_events("Person", "PersonCreated").await, 1);
}

/// The user's `birthday` and `worksfrom` as the event store holds them.
pub async fn stored_dates(t: &TestApp, user_id: &str) -> (String, String) {
    let row: (String, String) = sqlx::query_as(
        "SELECT payload->'UserCreated'->>'birthday', payload->'UserCreated'->>'works_from' FROM events \
         WHERE event_type = 'UserCreated' AND aggregate_id = $1",
    )
    .bind(user_id)
    .fetch_one(&t.pool)
    .await
    .unwrap();
    let api = |s: &str| {
        let t: chrono::DateTime<chrono::Utc> = s.parse().unwrap();
        rollcall::domain::datetime::ApiDateTime::from_utc(t).to_api_string()
    };
    (api(&row.0), api(&row.1))
}

#[tokio::test]
async fn dates_answer_what_the_event_holds_down_to_the_last_digit() {
    let r = Rest::spawn().await;
    let token = r.owner_token().await;
    let body = json!({"email": "ann@x.io", "firstname": "Ann", "lastname": "Lee",
                      "birthday": "2008-04-10T06:30:00.1234567Z", "worksfrom": "9999-12-31T23:59:59.9999999Z"});
    let (status, created) = read(r.post("people", &token).json(&body).send().await.unwrap()).await;
    let created = response(status, &created, 201).clone();
    let id = created["Id"].as_str().unwrap().to_string();
    let (status, got) = read(r.get(&format!("people/{id}"), &token).send().await.unwrap()).await;
    let got = response(status, &got, 200).clone();
    // One microsecond is what PostgreSQL keeps; finer digits are cut (never rounded up a year).
    assert_eq!(created["Birthday"], "2008-04-10T06:30:00.1234560Z", "{created}");
    assert_eq!(created["WorkFrom"], "9999-12-31T23:59:59.9999990Z", "{created}");
    assert_eq!(
        (&got["Birthday"], &got["WorkFrom"]),
        (&created["Birthday"], &created["WorkFrom"])
    );
    let (birthday, works_from) = stored_dates(&r.t, &id).await;
    assert_eq!(
        (json!(birthday), json!(works_from)),
        (got["Birthday"].clone(), got["WorkFrom"].clone())
    );
}

#[tokio::test]
async fn any_http_method_is_counted_under_a_bounded_label() {
    let t = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let long = "X".repeat(2_000);
    for method in ["FOOBAR", long.as_str(), "PROPFIND"] {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let res = client
            .request(method, format!("http://{}/api/2.0/people", t.http_addr))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{}", res.status());
    }
    let text = reqwest::get(format!("http://{}/metrics", t.http_addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("FOOBAR") && !text.contains("XXXX") && !text.contains("PROPFIND"));
    assert!(text.contains(r#"method="other""#), "{text}");
}

/// Waits (at most `bound`) for the server to close `stream`; returns what it sent before closing.
async fn closed_within(stream: &mut TcpStream, bound: Duration) -> String {
    let mut answer = Vec::new();
    let read = tokio::time::timeout(bound, stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the connection was still open after {bound:?}");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn half_sent_headers_or_a_short_body_are_cut_off_at_the_read_timeout() {
    let (mut settings, _) = test_settings();
    settings.http_read_timeout = Duration::from_secs(1);
    let t = TestApp::with(settings).await;
    let bound = Duration::from_secs(10);

    let mut headers_only = TcpStream::connect(t.http_addr).await.unwrap();
    headers_only
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    closed_within(&mut headers_only, bound).await;

    let mut silent = TcpStream::connect(t.http_addr).await.unwrap();
    closed_within(&mut silent, bound).await;

    let mut short_body = TcpStream::connect(t.http_addr).await.unwrap();
    short_body
        .write_all(
            b"POST /api/2.0/authentication HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"userName\":",
        )
        .await
        .unwrap();
    let answer = closed_within(&mut short_body, bound).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    // A request sent whole is still answered.
    let res = reqwest::get(format!("http://{}/healthz", t.http_addr)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// A client still sending a body too large to take reads the 413 and a clean close, not a reset:
/// the server drains what follows its answer before closing (a reset can destroy an unread answer).
#[tokio::test]
async fn a_client_still_sending_a_body_too_large_gets_the_413_and_a_clean_close() {
    let t = TestApp::spawn().await;
    let token = crate::helpers::rest_owner_token(t.http_addr).await;
    let total = 1_200_000usize;
    let mut stream = TcpStream::connect(t.http_addr).await.unwrap();
    let head = format!(
        "POST /api/2.0/crm/contact/person HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {total}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let first = 256 * 1024;
    stream.write_all(&vec![b' '; first]).await.unwrap();
    // The answer comes before the body is read.
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer within 10 s")
            .expect("the answer, not a reset");
        assert!(n > 0, "closed before answering: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    // The rest of the body still goes out, and the connection ends with the server's FIN.
    stream
        .write_all(&vec![b' '; total - first])
        .await
        .expect("the rest of the body is taken, not reset");
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
        .await
        .expect("closed within 10 s")
        .expect("a clean close, not a reset");
}
