//! Who sees and changes a CRM contact: the whole matrix of {owner, admin (granted by the owner),
//! manager of the contact, other user, visitor} × {private, shared read, shared read-write} × {get,
//! list, search, update, delete} over REST, and a sample of the same over gRPC and NATS request-reply.

use reqwest::{Method, StatusCode};
use rollcall::grpc::pb::company_service_client::CompanyServiceClient;
use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use rollcall::grpc::pb::{GetPersonRequest, ListCompaniesRequest, ListPersonsRequest};
use serde_json::{Value, json};

use super::{Rest, read};
use crate::grpc::{authed, channel};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Owner,
    Admin,
    Manager,
    Other,
    Visitor,
}

const SHARES: [(&str, i64); 3] = [("none", 0), ("read", 2), ("readWrite", 1)];

/// What `who` gets for a contact shared as `share` (ONLYOFFICE's rules).
fn expected(who: Who, share: &str, op: &str) -> u16 {
    match (who, share, op) {
        (Who::Visitor, _, _) => 403,
        (Who::Owner | Who::Admin | Who::Manager, _, _) => 200,
        (Who::Other, "none", _) => 404,
        (Who::Other, "read", "update" | "delete") => 403,
        (Who::Other, _, _) => 200,
    }
}

struct Matrix {
    r: Rest,
    owner: String,
    tokens: Vec<(Who, String)>,
    manager_id: String,
}

impl Matrix {
    async fn new() -> Matrix {
        let r = Rest::spawn().await;
        let owner = r.owner_token().await;
        let manager = r.member_token("manager@example.com", false).await;
        let other = r.member_token("other@example.com", false).await;
        let visitor = r.member_token("visitor@example.com", true).await;
        let admin = r.member_token("admin@example.com", false).await;
        let admin_id =
            r.t.actor_for("admin@example.com", crate::helpers::MEMBER_PASSWORD)
                .await
                .id;
        let (status, body) = read(
            r.client
                .put(r.url("settings/security/administrator"))
                .header("Authorization", &owner)
                .json(&json!({"userid": admin_id, "administrator": true}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "the owner grants admin rights: {body}");
        let manager_id =
            r.t.actor_for("manager@example.com", crate::helpers::MEMBER_PASSWORD)
                .await
                .id
                .to_string();
        let tokens = vec![
            (Who::Owner, owner.clone()),
            (Who::Admin, admin),
            (Who::Manager, manager),
            (Who::Other, other),
            (Who::Visitor, visitor),
        ];
        Matrix {
            r,
            owner,
            tokens,
            manager_id,
        }
    }

    fn token(&self, who: Who) -> &str {
        &self
            .tokens
            .iter()
            .find(|(w, _)| *w == who)
            .expect("every caller has a token")
            .1
    }

    /// A person created by the owner, shared as `share`, managed by the manager, named uniquely.
    async fn contact(&self, share: &str, name: &str) -> i64 {
        let body =
            json!({"firstName": name, "lastName": "Matrix", "shareType": share, "managerList": [self.manager_id]});
        let (status, body) = read(
            self.r
                .post("crm/contact/person", &self.owner)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["response"]["id"].as_i64().unwrap()
    }

    async fn status(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .r
            .client
            .request(method, self.r.url(path))
            .header("Authorization", token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let (status, body) = read(req.send().await.unwrap()).await;
        (status.as_u16(), body)
    }

    /// Whether a list answer (status 200) holds contact `id`; `None` when the list was refused.
    async fn listed(&self, path: &str, token: &str, id: i64) -> Option<bool> {
        let (status, body) = self.status(Method::GET, path, token, None).await;
        (status == 200).then(|| body["response"].as_array().unwrap().iter().any(|p| p["id"] == id))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_caller_sees_and_changes_exactly_what_the_rules_allow() {
    let m = Matrix::new().await;
    for (share, code) in SHARES {
        for (n, (who, token)) in m.tokens.iter().enumerate() {
            let cell = format!("{who:?} × {share}");
            let name = format!("{share}{n}");
            let id = m.contact(share, &name).await;

            let (status, body) = m.status(Method::GET, &format!("crm/contact/{id}"), token, None).await;
            assert_eq!(status, expected(*who, share, "get"), "{cell}: get {body}");
            if status == 200 {
                assert_eq!(body["response"]["shareType"], code, "{cell}");
                let can_edit = expected(*who, share, "update") == 200;
                assert_eq!(body["response"]["canEdit"], can_edit, "{cell}: canEdit");
                assert_eq!(body["response"]["isPrivate"], share == "none", "{cell}: isPrivate");
            }
            let visible = expected(*who, share, "get") == 200;
            let list = m.listed("crm/contact/filter?count=1000", token, id).await;
            let search = m
                .listed(&format!("crm/contact/filter?filterValue={name}"), token, id)
                .await;
            if *who == Who::Visitor {
                assert_eq!((list, search), (None, None), "{cell}: lists are refused");
            } else {
                assert_eq!((list, search), (Some(visible), Some(visible)), "{cell}: list, search");
            }

            let (status, body) = m
                .status(
                    Method::PUT,
                    &format!("crm/contact/person/{id}"),
                    token,
                    Some(json!({"about": "changed"})),
                )
                .await;
            assert_eq!(status, expected(*who, share, "update"), "{cell}: update {body}");
            let (status, body) = m
                .status(Method::DELETE, &format!("crm/contact/{id}"), token, None)
                .await;
            assert_eq!(status, expected(*who, share, "delete"), "{cell}: delete {body}");
        }
    }
}

#[tokio::test]
async fn a_non_admins_total_counts_only_what_they_see_and_paging_returns_each_once() {
    let m = Matrix::new().await;
    let mut visible = Vec::new();
    for i in 0..9 {
        let (share, _) = SHARES[i % 3];
        let id = m.contact(share, &format!("Page{i}")).await;
        if share != "none" {
            visible.push(id);
        }
    }
    let other = m.token(Who::Other);
    let mut seen = Vec::new();
    for start in (0..10).step_by(2) {
        let (status, body) = m
            .status(
                Method::GET,
                &format!("crm/contact/filter?filterValue=page&count=2&startIndex={start}"),
                other,
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["total"],
            visible.len(),
            "total counts only what the caller sees: {body}"
        );
        seen.extend(
            body["response"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap()),
        );
    }
    seen.sort();
    visible.sort();
    assert_eq!(seen, visible, "each visible contact once, nothing else");
}

/// Every contact of `path` (a list) `token` gets, two at a time, and the `total` each page claims.
async fn page_through(m: &Matrix, path: &str, token: &str) -> (Vec<i64>, Vec<i64>) {
    let (mut seen, mut totals) = (Vec::new(), Vec::new());
    for start in (0..12).step_by(2) {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = format!("{path}{sep}count=2&startIndex={start}");
        let (status, body) = m.status(Method::GET, &url, token, None).await;
        assert_eq!(status, 200, "{body}");
        totals.push(body["total"].as_i64().unwrap());
        seen.extend(
            body["response"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_i64().unwrap()),
        );
    }
    seen.sort();
    (seen, totals)
}

#[tokio::test]
async fn a_managers_total_holds_the_shared_contacts_and_the_private_ones_they_manage() {
    let m = Matrix::new().await;
    let (mut all, mut shared) = (Vec::new(), Vec::new());
    for i in 0..9 {
        let (share, _) = SHARES[i % 3];
        let id = m.contact(share, &format!("Count{i}")).await;
        all.push(id);
        if share != "none" {
            shared.push(id);
        }
    }
    // A private contact the manager does not manage: only the owner sees it.
    let (status, body) = m
        .status(
            Method::POST,
            "crm/contact/person",
            &m.owner,
            Some(json!({"firstName": "Count9", "lastName": "Matrix", "shareType": "none"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let unmanaged = body["response"]["id"].as_i64().unwrap();
    let everything = [all.clone(), vec![unmanaged]].concat();
    let (manager, other) = (m.token(Who::Manager), m.token(Who::Other));
    for path in ["crm/contact/filter", "crm/contact/filter?filterValue=count"] {
        for (token, expected) in [
            (m.owner.as_str(), &everything),
            (m.token(Who::Admin), &everything),
            (manager, &all),
            (other, &shared),
        ] {
            let mut expected = expected.clone();
            expected.sort();
            let (seen, totals) = page_through(&m, path, token).await;
            assert_eq!(seen, expected, "{path}: each visible contact once, nothing else");
            assert!(
                totals.iter().all(|t| *t == expected.len() as i64),
                "{path}: every page's total is what the caller sees ({}): {totals:?}",
                expected.len()
            );
        }
    }
}

#[tokio::test]
async fn a_companys_persons_count_counts_the_persons_the_caller_may_see() {
    let m = Matrix::new().await;
    let (status, body) = m
        .status(
            Method::POST,
            "crm/contact/company",
            &m.owner,
            Some(json!({"companyName": "Counted", "shareType": "readWrite"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let company = body["response"]["id"].as_i64().unwrap();
    for share in ["none", "read"] {
        let person = m.contact(share, &format!("Staff{share}")).await;
        let path = format!("crm/contact/company/{company}/person");
        let (status, body) = m
            .status(Method::POST, &path, &m.owner, Some(json!({"personid": person})))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (manager, other) = (m.token(Who::Manager), m.token(Who::Other));
    for (token, count) in [
        (m.owner.as_str(), 2),
        (m.token(Who::Admin), 2),
        (manager, 2),
        (other, 1),
    ] {
        let (status, body) = m
            .status(Method::GET, &format!("crm/contact/{company}"), token, None)
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["response"]["personsCount"], count, "{body}");
        let mut grpc = CompanyServiceClient::new(channel(m.r.t.grpc_addr).await);
        let list = grpc
            .list_companies(authed(ListCompaniesRequest::default(), token))
            .await
            .unwrap()
            .into_inner();
        let listed = list.items.iter().find(|c| c.id == company).unwrap();
        assert_eq!(listed.persons_count, count, "in the list too");
    }
}

#[tokio::test]
async fn grpc_and_nats_apply_the_same_rules() {
    let m = Matrix::new().await;
    let private = m.contact("none", "Hidden").await;
    let shared = m.contact("read", "Shown").await;
    let other = m.token(Who::Other);
    let visitor = m.token(Who::Visitor);

    let mut grpc = PersonServiceClient::new(channel(m.r.t.grpc_addr).await);
    let hidden = grpc.get_person(authed(GetPersonRequest { id: private }, other)).await;
    assert_eq!(hidden.unwrap_err().code(), tonic::Code::NotFound);
    let shown = grpc
        .get_person(authed(GetPersonRequest { id: shared }, other))
        .await
        .unwrap();
    assert_eq!(shown.into_inner().id, shared);
    let list = grpc
        .list_persons(authed(
            ListPersonsRequest {
                filter_value: Some("matrix".into()),
                ..Default::default()
            },
            other,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (list.total, list.items.iter().map(|p| p.id).collect::<Vec<_>>()),
        (1, vec![shared])
    );
    let refused = grpc
        .list_persons(authed(ListPersonsRequest::default(), visitor))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);

    let headers = crate::nats::headers(other, None);
    let body = serde_json::to_vec(&json!({"id": private, "about": "x"})).unwrap();
    let answer = crate::nats::rpc::request(&m.r.t, "crm.person.update", headers, &body).await;
    assert_eq!(answer["statusCode"], 404, "{answer}");
    let headers = crate::nats::headers(other, None);
    let body = serde_json::to_vec(&json!({"id": shared, "about": "x"})).unwrap();
    let answer = crate::nats::rpc::request(&m.r.t, "crm.person.update", headers, &body).await;
    assert_eq!(answer["statusCode"], 403, "{answer}");
}
