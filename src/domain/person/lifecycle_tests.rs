//! Given/when/then for every rule of a person's life after its creation.

use cqrs_es::test::TestFramework;
use uuid::Uuid;

use super::*;
use crate::domain::contact::Access;
use crate::domain::contact_info::{ContactInfoDraft, InfoType};
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Patch, ShareType};

type Given = TestFramework<Person>;

fn created() -> PersonEvent {
    let draft = PersonDraft {
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        job_title: Some("CTO".into()),
        about: Some("met at expo".into()),
        share_type: ShareType::ReadWrite,
        ..PersonDraft::default()
    };
    PersonEvent::PersonCreated(PersonCreated {
        id: 7,
        fields: draft.validate().unwrap(),
        created_by: Uuid::from_u128(1),
        created_at: ApiDateTime::parse("2025-01-10T10:00:00Z").unwrap(),
    })
}

fn deleted() -> PersonEvent {
    PersonEvent::PersonDeleted(Deleted {})
}

fn update(patch: PersonPatch) -> PersonCommand {
    PersonCommand::Update(patch)
}

fn email(data: &str, primary: bool) -> ContactInfoDraft {
    ContactInfoDraft {
        info_type: Some(InfoType::Email),
        data: Some(data.into()),
        is_primary: Some(primary),
        ..Default::default()
    }
}

async fn then(given: Vec<PersonEvent>, when: PersonCommand) -> Result<Vec<PersonEvent>, PersonError> {
    Given::with(()).given(given).when_async(when).await.inspect_result()
}

#[tokio::test]
async fn an_update_emits_only_what_changed_and_nothing_when_nothing_does() {
    let patch = PersonPatch {
        first_name: Patch::Set("Anne".into()),
        last_name: Patch::Set("Lee".into()),
        job_title: Patch::Clear,
        ..PersonPatch::default()
    };
    let changes = PersonChanges {
        first_name: Some("Anne".into()),
        title: Some(String::new()),
        ..PersonChanges::default()
    };
    Given::with(())
        .given(vec![created()])
        .when_async(update(patch))
        .await
        .then_expect_events(vec![PersonEvent::PersonUpdated(changes)]);
    Given::with(())
        .given(vec![created()])
        .when_async(update(PersonPatch::default()))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn the_names_cannot_be_cleared_and_stay_bounded() {
    for (patch, error) in [
        (
            PersonPatch {
                first_name: Patch::Clear,
                ..PersonPatch::default()
            },
            PersonError::FirstNameRequired,
        ),
        (
            PersonPatch {
                first_name: Patch::Set(" ".into()),
                ..PersonPatch::default()
            },
            PersonError::FirstNameRequired,
        ),
        (
            PersonPatch {
                last_name: Patch::Clear,
                ..PersonPatch::default()
            },
            PersonError::LastNameRequired,
        ),
        (
            PersonPatch {
                last_name: Patch::Set("x".repeat(256)),
                ..PersonPatch::default()
            },
            PersonError::LastNameTooLong,
        ),
        (
            PersonPatch {
                job_title: Patch::Set("x".repeat(256)),
                ..PersonPatch::default()
            },
            PersonError::JobTitleTooLong,
        ),
        (
            PersonPatch {
                about: Patch::Set("x".repeat(8001)),
                ..PersonPatch::default()
            },
            PersonError::AboutTooLong,
        ),
        (
            PersonPatch {
                company_id: Patch::Set(0),
                ..PersonPatch::default()
            },
            PersonError::CompanyIdInvalid,
        ),
    ] {
        Given::with(())
            .given(vec![created()])
            .when_async(update(patch))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn a_company_is_linked_moved_and_unlinked_and_unlinking_another_company_changes_nothing() {
    let linked = PersonEvent::PersonLinkedToCompany(CompanyLink { company_id: 5 });
    assert_eq!(
        then(vec![created()], PersonCommand::LinkToCompany { company_id: 5 }).await,
        Ok(vec![linked.clone()])
    );
    assert_eq!(
        then(
            vec![created(), linked.clone()],
            PersonCommand::LinkToCompany { company_id: 5 }
        )
        .await,
        Ok(vec![])
    );
    let moved = PersonEvent::PersonLinkedToCompany(CompanyLink { company_id: 6 });
    let patch = PersonPatch {
        company_id: Patch::Set(6),
        ..PersonPatch::default()
    };
    assert_eq!(
        then(vec![created(), linked.clone()], update(patch)).await,
        Ok(vec![moved])
    );
    let unlinked = PersonEvent::PersonUnlinkedFromCompany(CompanyLink { company_id: 5 });
    assert_eq!(
        then(
            vec![created(), linked.clone()],
            PersonCommand::UnlinkFromCompany { company_id: 5 }
        )
        .await,
        Ok(vec![unlinked])
    );
    assert_eq!(
        then(
            vec![created(), linked],
            PersonCommand::UnlinkFromCompany { company_id: 9 }
        )
        .await,
        Ok(vec![])
    );
}

#[tokio::test]
async fn access_changes_only_what_it_names_and_a_partial_update_keeps_it() {
    let private = PersonCommand::SetAccess {
        share_type: Some(ShareType::None),
        managers: Some(vec![Uuid::nil(), Uuid::nil()]),
    };
    let access = Access {
        share_type: ShareType::None,
        managers: vec![Uuid::nil()],
    };
    assert_eq!(
        then(vec![created()], private).await,
        Ok(vec![PersonEvent::PersonAccessChanged(access)])
    );
    let same = PersonCommand::SetAccess {
        share_type: Some(ShareType::ReadWrite),
        managers: None,
    };
    assert_eq!(then(vec![created()], same).await, Ok(vec![]));
    let too_many = PersonCommand::SetAccess {
        share_type: None,
        managers: Some((0..101).map(Uuid::from_u128).collect()),
    };
    Given::with(())
        .given(vec![created()])
        .when_async(too_many)
        .await
        .then_expect_error(PersonError::TooManyManagers);
}

#[tokio::test]
async fn contact_data_gets_fresh_ids_is_changed_in_place_and_removed_by_id() {
    let first = then(vec![created()], PersonCommand::AddInfo(email("a@b.io", true)))
        .await
        .unwrap();
    let [PersonEvent::PersonContactInfoAdded(info)] = first.as_slice() else {
        panic!("{first:?}")
    };
    assert_eq!((info.id, info.category, info.is_primary), (1, 0, true));
    let history = vec![created(), first[0].clone()];
    let second = then(history.clone(), PersonCommand::AddInfo(email("c@d.io", false)))
        .await
        .unwrap();
    assert!(matches!(second.as_slice(), [PersonEvent::PersonContactInfoAdded(i)] if i.id == 2));
    let change = PersonCommand::ChangeInfo {
        id: 1,
        draft: ContactInfoDraft {
            data: Some("x@y.io".into()),
            ..Default::default()
        },
    };
    let changed = then(history.clone(), change).await.unwrap();
    assert!(
        matches!(changed.as_slice(), [PersonEvent::PersonContactInfoChanged(i)] if i.id == 1 && i.data == "x@y.io" && i.is_primary)
    );
    let removed = vec![PersonEvent::PersonContactInfoRemoved(ContactInfoRemoved { id: 1 })];
    assert_eq!(
        then(history.clone(), PersonCommand::RemoveInfo { id: 1 }).await,
        Ok(removed.clone())
    );
    let mut gone = history.clone();
    gone.extend(removed);
    let after = then(gone.clone(), PersonCommand::AddInfo(email("e@f.io", false)))
        .await
        .unwrap();
    assert!(
        matches!(after.as_slice(), [PersonEvent::PersonContactInfoAdded(i)] if i.id == 2),
        "ids are never reused"
    );
    Given::with(())
        .given(gone)
        .when_async(PersonCommand::RemoveInfo { id: 1 })
        .await
        .then_expect_error(PersonError::InfoNotFound);
    Given::with(())
        .given(history)
        .when_async(PersonCommand::AddInfo(email("nope", false)))
        .await
        .then_expect_error(PersonError::InfoEmailInvalid);
}

#[tokio::test]
async fn a_deleted_or_unknown_person_refuses_every_command() {
    let commands = [
        update(PersonPatch {
            first_name: Patch::Set("X".into()),
            ..PersonPatch::default()
        }),
        PersonCommand::LinkToCompany { company_id: 5 },
        PersonCommand::SetAccess {
            share_type: Some(ShareType::Read),
            managers: None,
        },
        PersonCommand::AddInfo(email("a@b.io", false)),
        PersonCommand::Delete,
    ];
    for command in commands {
        Given::with(())
            .given(vec![created(), deleted()])
            .when_async(command.clone())
            .await
            .then_expect_error(PersonError::NotFound);
        Given::with(())
            .given_no_previous_events()
            .when_async(command)
            .await
            .then_expect_error(PersonError::NotFound);
    }
    assert_eq!(then(vec![created()], PersonCommand::Delete).await, Ok(vec![deleted()]));
}

#[test]
fn the_record_folds_every_event_and_the_event_names_are_stable() {
    use cqrs_es::DomainEvent;
    let events = [
        created(),
        PersonEvent::PersonUpdated(PersonChanges {
            title: Some(String::new()),
            ..PersonChanges::default()
        }),
        PersonEvent::PersonLinkedToCompany(CompanyLink { company_id: 5 }),
        PersonEvent::PersonAccessChanged(Access {
            share_type: ShareType::Read,
            managers: vec![],
        }),
        deleted(),
    ];
    let names: Vec<String> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(
        names,
        [
            "PersonCreated",
            "PersonUpdated",
            "PersonLinkedToCompany",
            "PersonAccessChanged",
            "PersonDeleted"
        ]
    );
    let mut person = Person::default();
    for e in events {
        cqrs_es::Aggregate::apply(&mut person, e);
    }
    let r = person.record().unwrap();
    assert_eq!(
        (
            r.fields.title.as_deref(),
            r.fields.company_id,
            r.fields.share_type,
            r.deleted
        ),
        (None, Some(5), ShareType::Read, true)
    );
    assert!(person.live().is_none());
}

/// Events are stored as JSON forever: every stored shape must keep loading. New fields are added with
/// serde defaults (`PersonChanges` fields all default), so a payload written before a field existed
/// still loads; a breaking change would bump `event_version` and add an upcaster on load.
#[test]
fn payloads_stored_by_earlier_versions_still_load() {
    let created_v1 = r#"{"PersonCreated":{"id":9,"first_name":"Ann","last_name":"","title":null,"company_id":null,
        "about":"","share_type":"None","managers":[],"custom_fields":[],"photo":null,
        "created_by":"00000000-0000-0000-0000-000000000001","created_at":"2025-01-10T10:00:00.0000000Z"}}"#;
    let updated_v1 = r#"{"PersonUpdated":{"about":"met"}}"#;
    let mut person = Person::default();
    for payload in [created_v1, updated_v1] {
        let event: PersonEvent = serde_json::from_str(payload).unwrap_or_else(|e| panic!("{payload}: {e}"));
        cqrs_es::Aggregate::apply(&mut person, event);
    }
    let r = person.record().unwrap();
    assert_eq!((r.id, r.fields.about.as_str(), r.info.len()), (9, "met", 0));
}

#[tokio::test]
async fn an_update_cannot_make_the_record_heavier_than_one_event_may_be() {
    use crate::domain::contact::CustomFieldInput;
    use crate::domain::field::Field;
    let heavy = (1..=100)
        .map(|key| CustomFieldInput {
            key,
            value: Some("語".repeat(8000)),
        })
        .collect();
    let patch = PersonPatch {
        custom_field_list: Some(heavy),
        ..PersonPatch::default()
    };
    Given::with(())
        .given(vec![created()])
        .when_async(update(patch))
        .await
        .then_expect_error(PersonError::TooLarge(Field::CustomFields));
}
