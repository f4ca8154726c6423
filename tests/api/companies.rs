//! CRM companies: persons link to real companies, ids are shared, either kind is served by id.

use std::collections::HashSet;

use rollcall::application::{AppError, Contact, Expect, Rejection};
use rollcall::domain::company::{CompanyDraft, CompanyError, CompanyPatch};
use rollcall::domain::person::PersonDraft;
use rollcall::domain::values::{Patch, ShareType};

use crate::helpers::TestApp;

fn company(name: &str) -> CompanyDraft {
    CompanyDraft {
        company_name: Some(name.into()),
        share_type: ShareType::Read,
        ..CompanyDraft::default()
    }
}

fn person(name: &str, company_id: Option<i64>) -> PersonDraft {
    PersonDraft {
        first_name: Some(name.into()),
        last_name: Some("Bachir".into()),
        company_id,
        ..PersonDraft::default()
    }
}

#[tokio::test]
async fn a_person_of_an_existing_company_shows_the_company_filled_in() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let food = t
        .app
        .create_company(&meta, company("Food and Culture Project"), None)
        .await
        .unwrap();
    let p = t
        .app
        .create_person(&meta, person("Tadjeddine", Some(food.id)), None)
        .await
        .unwrap();
    let linked = p.company.expect("the company is nested");
    assert_eq!(
        (linked.id, linked.name.as_deref()),
        (food.id, Some("Food and Culture Project"))
    );
    assert_eq!(linked.share_type, ShareType::Read);
}

#[tokio::test]
async fn a_person_of_an_unknown_company_is_refused_and_not_created() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let result = t.app.create_person(&meta, person("Ann", Some(999_999)), None).await;
    assert!(matches!(result, Err(AppError::NotFound("company"))), "{result:?}");
    assert_eq!(t.count_events("Person", "PersonCreated").await, 0);
}

#[tokio::test]
async fn a_company_lists_the_persons_linked_to_it() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let acme = t.app.create_company(&meta, company("Acme"), None).await.unwrap();
    let other = t.app.create_company(&meta, company("Other"), None).await.unwrap();
    let ann = t
        .app
        .create_person(&meta, person("Ann", Some(acme.id)), None)
        .await
        .unwrap();
    let bob = t
        .app
        .create_person(&meta, person("Bob", Some(acme.id)), None)
        .await
        .unwrap();
    t.app
        .create_person(&meta, person("Cid", Some(other.id)), None)
        .await
        .unwrap();
    t.app.create_person(&meta, person("Dee", None), None).await.unwrap();
    let listed: Vec<i64> = t
        .app
        .company_persons(&meta.actor, acme.id)
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, [ann.id, bob.id]);
    assert_eq!(t.app.get_company(&meta.actor, acme.id).await.unwrap().persons_count, 2);
    assert!(matches!(
        t.app.company_persons(&meta.actor, 424_242).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn persons_and_companies_never_share_an_id_and_either_is_served_by_id() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let mut ids = HashSet::new();
    for i in 0..5 {
        let c = t
            .app
            .create_company(&meta, company(&format!("C{i}")), None)
            .await
            .unwrap();
        let p = t
            .app
            .create_person(&meta, person(&format!("P{i}"), None), None)
            .await
            .unwrap();
        assert!(ids.insert(c.id) && ids.insert(p.id), "ids collide");
        assert!(matches!(t.app.get_contact(&meta.actor, c.id).await.unwrap(), Contact::Company(x) if x == c));
        assert!(matches!(t.app.get_contact(&meta.actor, p.id).await.unwrap(), Contact::Person(x) if x == p));
    }
    assert!(matches!(
        t.app.get_contact(&meta.actor, 777_777).await,
        Err(AppError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_company_needs_a_name_and_visitors_cannot_create_one() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await;
    let blank = t.app.create_company(&meta, company("  "), None).await;
    assert!(
        matches!(
            blank,
            Err(AppError::Invalid(Rejection::Company(CompanyError::CompanyNameRequired)))
        ),
        "{blank:?}"
    );
    let visitor = t.member("v@example.com", true).await;
    let meta = rollcall::application::RequestMeta::new(visitor, rollcall::application::Source::Test);
    assert!(matches!(
        t.app.create_company(&meta, company("X"), None).await,
        Err(AppError::Forbidden(_))
    ));
}

#[tokio::test]
async fn a_company_create_is_idempotent() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("company-1");
    let first = t.app.create_company(&meta, company("Acme"), None).await.unwrap();
    let again = t.app.create_company(&meta, company("Acme"), None).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(t.count_events("Company", "CompanyCreated").await, 1);
}

#[tokio::test]
async fn a_replayed_company_create_answers_the_first_result_however_the_company_changed() {
    let t = TestApp::spawn().await;
    let meta = t.owner_meta().await.with_idempotency_key("company-replay");
    let first = t.app.create_company(&meta, company("Acme"), None).await.unwrap();
    assert_eq!(first.persons_count, 0);
    let owner = t.owner_meta().await;
    t.app
        .create_person(&owner, person("Ann", Some(first.id)), None)
        .await
        .unwrap();
    let rename = CompanyPatch {
        company_name: Patch::Set("Acme Ltd".into()),
        ..Default::default()
    };
    t.app
        .update_company(&owner, first.id, rename, None, Expect::default())
        .await
        .unwrap();
    // The retry answers what the create answered: the company as its create made it.
    let again = t.app.create_company(&meta, company("Acme"), None).await.unwrap();
    assert_eq!(
        (
            again.id,
            again.company_name.as_str(),
            again.version,
            again.persons_count
        ),
        (first.id, "Acme", 1, 0)
    );
    assert_eq!(t.count_events("Company", "CompanyCreated").await, 1);
}
