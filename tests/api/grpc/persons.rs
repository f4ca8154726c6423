//! PersonService: create, get and list over the wire, and idempotent retries.

use futures::future::join_all;
use prost_types::Timestamp;
use rollcall::grpc::pb::{
    CreatePersonRequest, CustomField, GetPersonRequest, ListPersonsRequest, ShareType, SortOrder,
};

use super::{authed, clients};
use crate::helpers::TestApp;

const MANAGER: &str = "9924256a-739c-462b-af15-e652a3b1b6eb";

fn seed(first_name: &str) -> CreatePersonRequest {
    CreatePersonRequest {
        first_name: Some(first_name.into()),
        last_name: Some("Bachir".into()),
        job_title: Some("Programmer".into()),
        company_id: None,
        about: Some("some text".into()),
        share_type: ShareType::Read.into(),
        manager_list: vec![format!("{{{}}}", MANAGER.to_uppercase())],
        custom_fields: vec![CustomField {
            key: 7,
            value: "blue".into(),
        }],
        request_id: String::new(),
    }
}

#[tokio::test]
async fn a_person_created_over_grpc_carries_every_field_and_reads_back_the_same() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let owner = t.owner().await;
    let company = rollcall::domain::company::CompanyDraft {
        company_name: Some("Food and Culture Project".into()),
        ..Default::default()
    };
    let company = t
        .app
        .create_company(&t.owner_meta().await, company, None)
        .await
        .unwrap();
    let request = CreatePersonRequest {
        company_id: Some(company.id),
        ..seed("Tadjeddine")
    };
    let created = c
        .persons
        .create_person(authed(request, &token))
        .await
        .unwrap()
        .into_inner();
    assert!(created.id > 0);
    assert_eq!(created.first_name, "Tadjeddine");
    assert_eq!(created.last_name, "Bachir");
    assert_eq!(created.display_name, "Tadjeddine Bachir");
    assert_eq!(created.title.as_deref(), Some("Programmer"));
    assert_eq!(created.company_id, Some(company.id));
    assert_eq!(created.about, "some text");
    assert_eq!(created.share_type(), ShareType::Read);
    assert_eq!(created.manager_list, [MANAGER]);
    assert_eq!(
        created.custom_fields,
        [CustomField {
            key: 7,
            value: "blue".into()
        }]
    );
    assert_eq!(created.photo, None);
    let creator = created.created_by.clone().expect("a creator");
    assert_eq!(creator.id, owner.id.to_string());
    assert_eq!(creator.display_name.as_deref(), Some("Portal Owner"));
    assert_eq!(creator.user_name.as_deref(), Some(owner.user_name.as_str()));
    let when = created.created.expect("a creation time");
    assert!(when.seconds > Timestamp::default().seconds);

    let read = c
        .persons
        .get_person(authed(GetPersonRequest { id: created.id }, &token))
        .await
        .unwrap();
    assert_eq!(read.into_inner(), created);
}

#[tokio::test]
async fn listing_persons_pages_by_start_index_and_count_and_reports_the_total() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    for name in ["Carol", "Alice", "Bob"] {
        c.persons.create_person(authed(seed(name), &token)).await.unwrap();
    }
    let page = |start_index, count| ListPersonsRequest {
        start_index,
        count: Some(count),
        filter_value: None,
        sort_by: Some("first_name".into()),
        sort_order: SortOrder::Ascending.into(),
    };
    let first = c
        .persons
        .list_persons(authed(page(0, 2), &token))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = first.items.iter().map(|p| p.first_name.as_str()).collect();
    assert_eq!((names, first.total, first.start_index), (vec!["Alice", "Bob"], 3, 0));
    let rest = c
        .persons
        .list_persons(authed(page(2, 2), &token))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<_> = rest.items.iter().map(|p| p.first_name.as_str()).collect();
    assert_eq!((names, rest.total, rest.start_index), (vec!["Carol"], 3, 2));

    let filtered = ListPersonsRequest {
        filter_value: Some("bob".into()),
        ..ListPersonsRequest::default()
    };
    let found = c
        .persons
        .list_persons(authed(filtered, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((found.items.len(), found.total), (1, 1));
    // Unset sort: newest first.
    let newest = c
        .persons
        .list_persons(authed(ListPersonsRequest::default(), &token))
        .await
        .unwrap();
    assert_eq!(newest.into_inner().items[0].first_name, "Bob");
}

#[tokio::test]
async fn retrying_create_person_with_the_same_request_id_returns_the_first_person_and_creates_one() {
    let t = TestApp::spawn().await;
    let (mut c, token) = (clients(&t).await, t.owner_token().await);
    let request = CreatePersonRequest {
        request_id: "retry-1".into(),
        ..seed("Ann")
    };
    let first = c
        .persons
        .create_person(authed(request.clone(), &token))
        .await
        .unwrap()
        .into_inner();
    let again = c
        .persons
        .create_person(authed(request, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!(t.count_events("Person", "PersonCreated").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_create_person_calls_with_one_request_id_create_one_person() {
    let t = TestApp::spawn().await;
    let (c, token) = (clients(&t).await, t.owner_token().await);
    let request = CreatePersonRequest {
        request_id: "concurrent-1".into(),
        ..seed("Ann")
    };
    let calls = (0..10).map(|_| {
        let mut client = c.persons.clone();
        let request = authed(request.clone(), &token);
        tokio::spawn(async move { client.create_person(request).await })
    });
    let results: Vec<_> = join_all(calls)
        .await
        .into_iter()
        .map(|joined| joined.unwrap())
        .collect();
    let ids: Vec<i64> = results
        .into_iter()
        .map(|r| r.expect("every retry succeeds").into_inner().id)
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 1);
}
