//! Contacts that change over gRPC: updates that keep what is unset and clear what `clear_fields`
//! names, `expected_version` (ABORTED, nothing changed), deletes, links, access and contact data, with
//! NOT_FOUND for unknown and deleted contacts and INVALID_ARGUMENT naming the proto field.

use rollcall::grpc::pb::company_service_client::CompanyServiceClient;
use rollcall::grpc::pb::person_service_client::PersonServiceClient;
use rollcall::grpc::pb::{
    AddContactDataRequest, CreateCompanyRequest, CreatePersonRequest, CustomField, DeleteCompanyRequest,
    DeleteContactDataRequest, DeletePersonRequest, GetCompanyRequest, GetPersonRequest, InfoType,
    LinkPersonToCompanyRequest, ListContactDataRequest, Person, SetContactAccessRequest, ShareType,
    UnlinkPersonFromCompanyRequest, UpdateCompanyRequest, UpdateContactDataRequest, UpdatePersonRequest,
};
use tonic::Code;
use tonic::transport::Channel;

use super::statuses::assert_invalid;
use super::{authed, channel};
use crate::helpers::TestApp;

const MANAGER: &str = "9924256a-739c-462b-af15-e652a3b1b6eb";

struct Grpc {
    t: TestApp,
    token: String,
    persons: PersonServiceClient<Channel>,
    companies: CompanyServiceClient<Channel>,
}

impl Grpc {
    async fn spawn() -> Grpc {
        let t = TestApp::spawn().await;
        let token = t.owner_token().await;
        let channel = channel(t.grpc_addr).await;
        Grpc {
            token,
            persons: PersonServiceClient::new(channel.clone()),
            companies: CompanyServiceClient::new(channel),
            t,
        }
    }

    async fn person(&mut self, first_name: &str) -> Person {
        let request = CreatePersonRequest {
            first_name: Some(first_name.into()),
            last_name: Some("Lee".into()),
            job_title: Some("CTO".into()),
            about: Some("met at expo".into()),
            share_type: ShareType::Read.into(),
            manager_list: vec![MANAGER.into()],
            custom_fields: vec![CustomField {
                key: 7,
                value: "blue".into(),
            }],
            ..Default::default()
        };
        let token = self.token.clone();
        self.persons
            .create_person(authed(request, &token))
            .await
            .unwrap()
            .into_inner()
    }

    async fn company(&mut self, name: &str) -> i64 {
        let request = CreateCompanyRequest {
            company_name: Some(name.into()),
            share_type: ShareType::ReadWrite.into(),
            ..Default::default()
        };
        let token = self.token.clone();
        self.companies
            .create_company(authed(request, &token))
            .await
            .unwrap()
            .into_inner()
            .id
    }

    async fn update(&mut self, request: UpdatePersonRequest) -> Result<Person, tonic::Status> {
        let token = self.token.clone();
        self.persons
            .update_person(authed(request, &token))
            .await
            .map(|r| r.into_inner())
    }

    async fn get(&mut self, id: i64) -> Result<Person, tonic::Status> {
        let token = self.token.clone();
        self.persons
            .get_person(authed(GetPersonRequest { id }, &token))
            .await
            .map(|r| r.into_inner())
    }
}

#[tokio::test]
async fn update_person_keeps_what_is_unset_clears_what_is_named_and_moves_the_version() {
    let mut g = Grpc::spawn().await;
    let created = g.person("Ann").await;
    assert_eq!(created.version, 1);
    let updated = g
        .update(UpdatePersonRequest {
            id: created.id,
            first_name: Some("Anne".into()),
            clear_fields: vec!["job_title".into(), "custom_fields".into()],
            expected_version: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        (updated.first_name.as_str(), updated.last_name.as_str(), updated.version),
        ("Anne", "Lee", 2)
    );
    assert_eq!((&updated.title, updated.custom_fields.len()), (&None, 0), "cleared");
    assert_eq!(updated.about, "met at expo", "unset, kept");
    assert_eq!(
        (updated.share_type(), updated.manager_list.as_slice()),
        (ShareType::Read, [MANAGER.to_string()].as_slice()),
        "an update without access fields keeps the access"
    );

    let stale = g
        .update(UpdatePersonRequest {
            id: created.id,
            about: Some("stale".into()),
            expected_version: Some(1),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");
    let now = g.get(created.id).await.unwrap();
    assert_eq!((now.about.as_str(), now.version), ("met at expo", 2), "nothing changed");

    let invalid = |request: UpdatePersonRequest| UpdatePersonRequest {
        id: created.id,
        ..request
    };
    for (request, field) in [
        (
            invalid(UpdatePersonRequest {
                clear_fields: vec!["last_name".into()],
                ..Default::default()
            }),
            "last_name",
        ),
        (
            invalid(UpdatePersonRequest {
                last_name: Some(" ".into()),
                ..Default::default()
            }),
            "last_name",
        ),
        (
            invalid(UpdatePersonRequest {
                clear_fields: vec!["share_type".into()],
                ..Default::default()
            }),
            "clear_fields",
        ),
        (
            invalid(UpdatePersonRequest {
                manager_list: vec!["nope".into()],
                ..Default::default()
            }),
            "manager_list",
        ),
        (
            invalid(UpdatePersonRequest {
                expected_version: Some(0),
                ..Default::default()
            }),
            "expected_version",
        ),
        (
            UpdatePersonRequest {
                id: 0,
                about: Some("x".into()),
                ..Default::default()
            },
            "id",
        ),
    ] {
        assert_invalid(g.update(request).await.unwrap_err(), field);
    }
    assert_eq!(g.get(created.id).await.unwrap().version, 2, "nothing changed");

    let keyed = UpdatePersonRequest {
        id: created.id,
        about: Some("once".into()),
        request_id: "update-once".into(),
        ..Default::default()
    };
    let first = g.update(keyed.clone()).await.unwrap();
    let again = g.update(keyed).await.unwrap();
    assert_eq!((first.version, again.version), (3, 3), "a retry changes nothing more");
    assert_eq!(g.t.count_events("Person", "PersonUpdated").await, 2);
}

#[tokio::test]
async fn unknown_and_deleted_contacts_are_not_found_and_a_stale_delete_is_aborted() {
    let mut g = Grpc::spawn().await;
    let token = g.token.clone();
    let id = g.person("Ann").await.id;
    let company = g.company("Acme").await;

    let delete = |id, expected_version| {
        authed(
            DeletePersonRequest {
                id,
                expected_version,
                request_id: String::new(),
            },
            &token,
        )
    };
    let stale = g.persons.delete_person(delete(id, Some(5))).await.unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert!(g.get(id).await.is_ok(), "a stale delete deletes nothing");
    let not_a_person = g.persons.delete_person(delete(company, None)).await.unwrap_err();
    assert_eq!(
        not_a_person.code(),
        Code::NotFound,
        "DeletePerson never deletes a company"
    );
    let not_a_company = g
        .companies
        .delete_company(authed(
            DeleteCompanyRequest {
                id,
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap_err();
    assert_eq!(not_a_company.code(), Code::NotFound);

    let deleted = g.persons.delete_person(delete(id, Some(1))).await.unwrap().into_inner();
    assert_eq!(
        (deleted.id, deleted.first_name.as_str(), deleted.version),
        (id, "Ann", 2)
    );
    for target in [id, 999_999] {
        assert_eq!(g.get(target).await.unwrap_err().code(), Code::NotFound, "get {target}");
        let update = g
            .update(UpdatePersonRequest {
                id: target,
                about: Some("ghost".into()),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(update.code(), Code::NotFound, "update {target}");
        let again = g.persons.delete_person(delete(target, None)).await.unwrap_err();
        assert_eq!(again.code(), Code::NotFound, "delete {target}");
        let data = g
            .persons
            .add_contact_data(authed(
                AddContactDataRequest {
                    id: target,
                    info_type: Some(InfoType::Email.into()),
                    data: Some("a@b.io".into()),
                    ..Default::default()
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(data.code(), Code::NotFound, "contact data of {target}");
        let link = g
            .persons
            .link_person_to_company(authed(
                LinkPersonToCompanyRequest {
                    person_id: target,
                    company_id: company,
                    ..Default::default()
                },
                &token,
            ))
            .await
            .unwrap_err();
        assert_eq!(link.code(), Code::NotFound, "link {target}");
    }
}

#[tokio::test]
async fn companies_update_and_delete_and_persons_link_and_unlink_over_grpc() {
    let mut g = Grpc::spawn().await;
    let token = g.token.clone();
    let company = g.company("Acme").await;
    let updated = g
        .companies
        .update_company(authed(
            UpdateCompanyRequest {
                id: company,
                company_name: Some("Acme Ltd".into()),
                about: Some("tools".into()),
                expected_version: Some(1),
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (updated.company_name.as_str(), updated.about.as_str(), updated.version),
        ("Acme Ltd", "tools", 2)
    );
    assert_eq!(updated.share_type(), ShareType::ReadWrite, "unset, kept");
    let update = |request: UpdateCompanyRequest| authed(UpdateCompanyRequest { id: company, ..request }, &token);
    let cleared_name = UpdateCompanyRequest {
        clear_fields: vec!["company_name".into()],
        ..Default::default()
    };
    assert_invalid(
        g.companies.update_company(update(cleared_name)).await.unwrap_err(),
        "company_name",
    );
    let stale = UpdateCompanyRequest {
        about: Some("stale".into()),
        expected_version: Some(1),
        ..Default::default()
    };
    let stale = g.companies.update_company(update(stale)).await.unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let cleared = UpdateCompanyRequest {
        clear_fields: vec!["about".into()],
        ..Default::default()
    };
    let cleared = g.companies.update_company(update(cleared)).await.unwrap().into_inner();
    assert_eq!((cleared.about.as_str(), cleared.version), ("", 3));

    let person = g.person("Ann").await.id;
    let link = |person_id, expected_version| {
        authed(
            LinkPersonToCompanyRequest {
                person_id,
                company_id: company,
                expected_version,
                request_id: String::new(),
            },
            &token,
        )
    };
    let linked = g.persons.link_person_to_company(link(person, Some(1))).await.unwrap();
    let linked = linked.into_inner();
    assert_eq!((linked.company_id, linked.version), (Some(company), 2));
    assert_eq!(
        g.persons
            .link_person_to_company(link(person, Some(1)))
            .await
            .unwrap_err()
            .code(),
        Code::Aborted
    );
    assert_invalid(
        g.persons.link_person_to_company(link(0, None)).await.unwrap_err(),
        "person_id",
    );
    let unlink = UnlinkPersonFromCompanyRequest {
        person_id: person,
        company_id: company,
        ..Default::default()
    };
    let unlinked = g
        .persons
        .unlink_person_from_company(authed(unlink, &token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((unlinked.company_id, unlinked.version), (None, 3));
    g.persons.link_person_to_company(link(person, None)).await.unwrap();

    let deleted = g
        .companies
        .delete_company(authed(
            DeleteCompanyRequest {
                id: company,
                expected_version: Some(3),
                request_id: String::new(),
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((deleted.company_name.as_str(), deleted.version), ("Acme Ltd", 4));
    assert_eq!(g.get(person).await.unwrap().company_id, None, "its person is unlinked");
    let gone = g
        .companies
        .get_company(authed(GetCompanyRequest { id: company }, &token))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    let update_gone = UpdateCompanyRequest {
        about: Some("ghost".into()),
        ..Default::default()
    };
    let update_gone = g.companies.update_company(update(update_gone)).await.unwrap_err();
    assert_eq!(update_gone.code(), Code::NotFound);
    assert_eq!(
        g.persons
            .link_person_to_company(link(person, None))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound,
        "a deleted company cannot be linked"
    );
}

#[tokio::test]
async fn access_and_contact_data_change_over_grpc_for_persons_and_companies() {
    let mut g = Grpc::spawn().await;
    let token = g.token.clone();
    let owner = g.t.owner().await.id.to_string();
    let person = g.person("Ann").await.id;
    let company = g.company("Acme").await;

    let access = |id, share_type: ShareType, expected_version| {
        authed(
            SetContactAccessRequest {
                id,
                share_type: Some(share_type.into()),
                manager_list: vec![owner.clone()],
                clear_fields: vec![],
                expected_version,
                request_id: String::new(),
            },
            &token,
        )
    };
    let private = g
        .persons
        .set_contact_access(access(person, ShareType::None, Some(1)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (private.is_company, private.share_type(), private.version),
        (false, ShareType::None, 2)
    );
    assert_eq!(private.manager_list, std::slice::from_ref(&owner));
    let stale = g
        .persons
        .set_contact_access(access(person, ShareType::Read, Some(1)))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let shared = g
        .persons
        .set_contact_access(access(company, ShareType::Read, None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((shared.is_company, shared.share_type()), (true, ShareType::Read));

    let add = |id, info_type: InfoType, data: &str, expected_version| {
        authed(
            AddContactDataRequest {
                id,
                info_type: Some(info_type.into()),
                data: Some(data.into()),
                is_primary: Some(true),
                expected_version,
                ..Default::default()
            },
            &token,
        )
    };
    let email = g
        .persons
        .add_contact_data(add(person, InfoType::Email, "ann@acme.io", Some(2)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (email.info_type(), email.category_name.as_str(), email.is_primary),
        (InfoType::Email, "Home", true)
    );
    let stale = g
        .persons
        .add_contact_data(add(person, InfoType::Phone, "1", Some(2)))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    for (request, field) in [
        (add(person, InfoType::Email, "not-an-email", None), "data"),
        (add(person, InfoType::Address, "Main St", None), "info_type"),
        (
            authed(
                AddContactDataRequest {
                    id: person,
                    info_type: Some(99),
                    data: Some("x".into()),
                    ..Default::default()
                },
                &token,
            ),
            "info_type",
        ),
    ] {
        assert_invalid(g.persons.add_contact_data(request).await.unwrap_err(), field);
    }
    let phone = g
        .persons
        .add_contact_data(add(company, InfoType::Phone, "+1 555 0100", None))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(phone.info_type(), InfoType::Phone);

    let change = |data_id, data: &str| {
        authed(
            UpdateContactDataRequest {
                id: person,
                data_id,
                data: Some(data.into()),
                ..Default::default()
            },
            &token,
        )
    };
    let changed = g
        .persons
        .update_contact_data(change(email.id, "ann@acme.com"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((changed.id, changed.data.as_str()), (email.id, "ann@acme.com"));
    assert_eq!(changed.info_type(), InfoType::Email, "unset, kept");
    assert_invalid(
        g.persons.update_contact_data(change(0, "x@y.io")).await.unwrap_err(),
        "data_id",
    );
    let missing = g.persons.update_contact_data(change(999, "x@y.io")).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    let list = |id| authed(ListContactDataRequest { id }, &token);
    let listed = g.persons.list_contact_data(list(person)).await.unwrap().into_inner();
    assert_eq!(listed.items, std::slice::from_ref(&changed));
    assert_eq!(g.get(person).await.unwrap().common_data, std::slice::from_ref(&changed));
    let removed = g
        .persons
        .delete_contact_data(authed(
            DeleteContactDataRequest {
                id: person,
                data_id: email.id,
                ..Default::default()
            },
            &token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(removed, changed);
    let listed = g.persons.list_contact_data(list(person)).await.unwrap().into_inner();
    assert!(listed.items.is_empty());
    let of_company = g.persons.list_contact_data(list(company)).await.unwrap().into_inner();
    assert_eq!(of_company.items, [phone]);
    let unknown = g.persons.list_contact_data(list(999_999)).await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
}
