//! Given/when/then for every rule of a company's life after its creation.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::domain::contact::Access;
use crate::domain::contact_info::{ContactInfoDraft, InfoType};
use crate::domain::datetime::ApiDateTime;
use crate::domain::person::{ContactInfoRemoved, Deleted};
use crate::domain::values::{Patch, ShareType};

type Given = TestFramework<Company>;

fn created() -> CompanyEvent {
    let draft = CompanyDraft {
        company_name: Some("Acme".into()),
        about: Some("tools".into()),
        share_type: ShareType::ReadWrite,
        ..CompanyDraft::default()
    };
    CompanyEvent::CompanyCreated(CompanyCreated {
        id: 5,
        fields: draft.validate().unwrap(),
        created_by: Uuid::from_u128(1),
        created_at: ApiDateTime::parse("2025-01-10T10:00:00Z").unwrap(),
    })
}

async fn then(given: Vec<CompanyEvent>, when: CompanyCommand) -> Result<Vec<CompanyEvent>, CompanyError> {
    Given::with(()).given(given).when_async(when).await.inspect_result()
}

#[tokio::test]
async fn an_update_emits_only_what_changed_and_the_name_cannot_be_cleared() {
    let patch = CompanyPatch {
        company_name: Patch::Set(" Acme Inc ".into()),
        about: Patch::Clear,
        ..CompanyPatch::default()
    };
    let changes = CompanyChanges {
        company_name: Some("Acme Inc".into()),
        about: Some(String::new()),
        ..CompanyChanges::default()
    };
    assert_eq!(
        then(vec![created()], CompanyCommand::Update(patch)).await,
        Ok(vec![CompanyEvent::CompanyUpdated(changes)])
    );
    assert_eq!(
        then(vec![created()], CompanyCommand::Update(CompanyPatch::default())).await,
        Ok(vec![])
    );
    for (patch, error) in [
        (
            CompanyPatch {
                company_name: Patch::Clear,
                ..CompanyPatch::default()
            },
            CompanyError::CompanyNameRequired,
        ),
        (
            CompanyPatch {
                company_name: Patch::Set("x".repeat(256)),
                ..CompanyPatch::default()
            },
            CompanyError::CompanyNameTooLong,
        ),
        (
            CompanyPatch {
                about: Patch::Set("x".repeat(8001)),
                ..CompanyPatch::default()
            },
            CompanyError::AboutTooLong,
        ),
    ] {
        Given::with(())
            .given(vec![created()])
            .when_async(CompanyCommand::Update(patch))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn access_and_contact_data_follow_the_contact_rules() {
    let private = CompanyCommand::SetAccess {
        share_type: Some(ShareType::None),
        managers: Some(vec![Uuid::nil()]),
    };
    let access = Access {
        share_type: ShareType::None,
        managers: vec![Uuid::nil()],
    };
    assert_eq!(
        then(vec![created()], private).await,
        Ok(vec![CompanyEvent::CompanyAccessChanged(access)])
    );
    let phone = ContactInfoDraft {
        info_type: Some(InfoType::Phone),
        data: Some("+1 555".into()),
        category: Some(3.into()),
        ..Default::default()
    };
    let added = then(vec![created()], CompanyCommand::AddInfo(phone)).await.unwrap();
    assert!(matches!(added.as_slice(), [CompanyEvent::CompanyContactInfoAdded(i)] if i.id == 1 && i.category == 3));
    let removed = CompanyEvent::CompanyContactInfoRemoved(ContactInfoRemoved { id: 1 });
    assert_eq!(
        then(vec![created(), added[0].clone()], CompanyCommand::RemoveInfo { id: 1 }).await,
        Ok(vec![removed])
    );
    let bad = ContactInfoDraft {
        info_type: Some(InfoType::Phone),
        data: Some("1".into()),
        category: Some(9.into()),
        ..Default::default()
    };
    Given::with(())
        .given(vec![created()])
        .when_async(CompanyCommand::AddInfo(bad))
        .await
        .then_expect_error(CompanyError::InfoCategoryInvalid);
    let unknown = CompanyCommand::ChangeInfo {
        id: 4,
        draft: ContactInfoDraft::default(),
    };
    Given::with(())
        .given(vec![created()])
        .when_async(unknown)
        .await
        .then_expect_error(CompanyError::InfoNotFound);
}

#[tokio::test]
async fn a_deleted_or_unknown_company_refuses_every_command() {
    let deleted = CompanyEvent::CompanyDeleted(Deleted {});
    assert_eq!(
        then(vec![created()], CompanyCommand::Delete).await,
        Ok(vec![deleted.clone()])
    );
    for command in [CompanyCommand::Delete, CompanyCommand::Update(CompanyPatch::default())] {
        Given::with(())
            .given(vec![created(), deleted.clone()])
            .when_async(command.clone())
            .await
            .then_expect_error(CompanyError::NotFound);
        Given::with(())
            .given_no_previous_events()
            .when_async(command)
            .await
            .then_expect_error(CompanyError::NotFound);
    }
}
