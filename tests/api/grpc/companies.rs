//! CompanyService: create, get, list; persons link to real companies over gRPC.

use rollcall::grpc::pb::company_service_client::CompanyServiceClient;
use rollcall::grpc::pb::{
    CreateCompanyRequest, CreatePersonRequest, GetCompanyRequest, ListCompaniesRequest, ShareType,
};
use tonic::Code;

use super::{authed, channel, clients};
use crate::helpers::TestApp;

fn company(name: &str) -> CreateCompanyRequest {
    CreateCompanyRequest {
        company_name: Some(name.into()),
        share_type: ShareType::Read.into(),
        ..CreateCompanyRequest::default()
    }
}

#[tokio::test]
async fn a_company_created_over_grpc_reads_back_and_lists() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let mut c = CompanyServiceClient::new(channel(t.grpc_addr).await);
    let created = c
        .create_company(authed(company("Acme"), &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (created.company_name.as_str(), created.share_type()),
        ("Acme", ShareType::Read)
    );
    let read = c
        .get_company(authed(GetCompanyRequest { id: created.id }, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read, created);
    c.create_company(authed(company("Beta"), &token)).await.unwrap();
    let page = c
        .list_companies(authed(
            ListCompaniesRequest {
                count: Some(1),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((page.items.len(), page.total), (1, 2));
    let missing = c
        .get_company(authed(GetCompanyRequest { id: 987_654 }, &token))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    let blank = c.create_company(authed(company(" "), &token)).await.unwrap_err();
    assert_eq!(blank.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn a_person_of_a_company_carries_it_and_an_unknown_company_is_not_found() {
    let t = TestApp::spawn().await;
    let token = t.owner_token().await;
    let mut companies = CompanyServiceClient::new(channel(t.grpc_addr).await);
    let acme = companies
        .create_company(authed(company("Acme"), &token))
        .await
        .unwrap()
        .into_inner();
    let mut c = clients(&t).await;
    let person = |company_id| CreatePersonRequest {
        first_name: Some("Ann".into()),
        company_id: Some(company_id),
        ..CreatePersonRequest::default()
    };
    let ann = c
        .persons
        .create_person(authed(person(acme.id), &token))
        .await
        .unwrap()
        .into_inner();
    let nested = ann.company.expect("the company is nested");
    assert_eq!((nested.id, nested.company_name.as_deref()), (acme.id, Some("Acme")));
    let unknown = c
        .persons
        .create_person(authed(person(acme.id + 1000), &token))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}
