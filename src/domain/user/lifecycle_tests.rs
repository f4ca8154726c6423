//! Given/when/then for every rule of a user's life after their creation.

use std::sync::Arc;

use cqrs_es::test::TestFramework;
use secrecy::SecretString;
use uuid::Uuid;

use super::*;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Email, Patch, Sex, UserName};

struct FakeHasher;

#[async_trait::async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, _password: &SecretString) -> Result<PasswordHash, HashError> {
        Ok(PasswordHash::new("$fake$new-hash".into()))
    }
}

type Given = TestFramework<User>;

fn given() -> Given {
    Given::with(Arc::new(FakeHasher) as Arc<dyn PasswordHasher>)
}

const ANN: Uuid = Uuid::from_u128(7);
const OWNER: Uuid = Uuid::from_u128(1);

fn at() -> ApiDateTime {
    ApiDateTime::parse("2025-02-01T09:00:00Z").unwrap()
}

fn created(id: Uuid, owner: bool) -> UserEvent {
    let email = Email::parse("Ann.Lee@Example.com").unwrap();
    let user_name = UserName::candidates(&email).next().unwrap();
    UserEvent::UserCreated(Box::new(UserCreated {
        id,
        user_name,
        email,
        first_name: "Ann".into(),
        last_name: "Lee".into(),
        is_visitor: false,
        is_admin: owner,
        is_owner: owner,
        department: vec![],
        title: Some("CTO".into()),
        location: None,
        sex: None,
        birthday: None,
        works_from: ApiDateTime::parse("2025-01-10").unwrap(),
        notes: None,
        contacts: vec![],
        avatar_url: None,
        lead: None,
        status: UserStatus::Active,
        activation_status: ActivationStatus::Pending,
        password_hash: Some(PasswordHash::new("$fake$old-hash".into())),
        created_by: Some(OWNER),
        created_at: ApiDateTime::parse("2025-01-10T10:00:00Z").unwrap(),
    }))
}

fn ann() -> UserEvent {
    created(ANN, false)
}

fn terminated() -> UserEvent {
    UserEvent::UserTerminated(Terminated { at: at() })
}

fn owner() -> Editor {
    Editor {
        id: OWNER,
        is_admin: true,
        is_owner: true,
    }
}

fn admin() -> Editor {
    Editor {
        id: Uuid::from_u128(2),
        is_admin: true,
        is_owner: false,
    }
}

fn member() -> Editor {
    Editor {
        id: Uuid::from_u128(3),
        is_admin: false,
        is_owner: false,
    }
}

fn herself() -> Editor {
    Editor {
        id: ANN,
        is_admin: false,
        is_owner: false,
    }
}

fn update(patch: UserPatch, by: Editor) -> UserCommand {
    UserCommand::Update(Box::new(UpdateUser { patch, by, at: at() }))
}

fn status(status: UserStatus, by: Editor) -> UserCommand {
    UserCommand::SetStatus { status, by, at: at() }
}

fn email(to: &str, by: Editor) -> UserCommand {
    UserCommand::ChangeEmail {
        email: Email::parse(to).unwrap(),
        by,
    }
}

fn password(p: &str, by: Editor) -> UserCommand {
    UserCommand::ChangePassword {
        password: SecretString::from(p.to_string()),
        by,
    }
}

async fn then(history: Vec<UserEvent>, when: UserCommand) -> Result<Vec<UserEvent>, UserError> {
    given().given(history).when_async(when).await.inspect_result()
}

#[tokio::test]
async fn an_update_emits_only_what_changed_and_keeps_what_it_leaves_out() {
    let patch = UserPatch {
        first_name: Patch::Set(" Anne ".into()),
        last_name: Patch::Set("Lee".into()),
        location: Patch::Set("Riga".into()),
        sex: Patch::Set(Sex::Female),
        comment: Patch::Clear,
        contacts: Some(vec![ContactInput {
            kind: "GTalk".into(),
            value: "ann@x.io".into(),
        }]),
        ..UserPatch::default()
    };
    let changes = UserChanges {
        first_name: Some("Anne".into()),
        location: Some(Some("Riga".into())),
        sex: Some(Some(Sex::Female)),
        contacts: Some(vec![UserContact {
            kind: "GTalk".into(),
            value: "ann@x.io".into(),
        }]),
        ..UserChanges::default()
    };
    assert_eq!(
        then(vec![ann()], update(patch, herself())).await,
        Ok(vec![UserEvent::UserUpdated(Box::new(changes))])
    );
    assert_eq!(
        then(vec![ann()], update(UserPatch::default(), herself())).await,
        Ok(vec![])
    );
}

#[tokio::test]
async fn a_cleared_field_is_null_in_the_event_and_none_in_the_record() {
    let patch = UserPatch {
        title: Patch::Clear,
        ..UserPatch::default()
    };
    let events = then(vec![ann()], update(patch, admin())).await.unwrap();
    let json = serde_json::to_value(&events[0]).unwrap();
    assert_eq!(json, serde_json::json!({"UserUpdated": {"title": null}}));
    let mut user = User::default();
    for e in [ann(), events[0].clone()] {
        cqrs_es::Aggregate::apply(&mut user, e);
    }
    assert_eq!(user.record().unwrap().title, None);
}

#[tokio::test]
async fn a_user_edits_their_own_profile_and_an_admin_anyones_but_no_one_else_may() {
    let patch = || UserPatch {
        location: Patch::Set("Oslo".into()),
        ..UserPatch::default()
    };
    for by in [herself(), admin(), owner()] {
        assert_eq!(then(vec![ann()], update(patch(), by)).await.map(|e| e.len()), Ok(1));
    }
    given()
        .given(vec![ann()])
        .when_async(update(patch(), member()))
        .await
        .then_expect_error(UserError::NotYourProfile);
    assert_eq!(
        then(vec![created(OWNER, true)], update(patch(), admin()))
            .await
            .map(|e| e.len()),
        Ok(1),
        "admins edit the owner's profile"
    );
}

#[tokio::test]
async fn only_administrators_change_title_and_lead_and_sending_them_unchanged_is_no_change() {
    let title = |t: &str| UserPatch {
        title: Patch::Set(t.into()),
        ..UserPatch::default()
    };
    given()
        .given(vec![ann()])
        .when_async(update(title("CEO"), herself()))
        .await
        .then_expect_error(UserError::TitleAndLeadAdminsOnly);
    let lead = UserPatch {
        lead: Patch::Set(Uuid::from_u128(9)),
        ..UserPatch::default()
    };
    given()
        .given(vec![ann()])
        .when_async(update(lead.clone(), herself()))
        .await
        .then_expect_error(UserError::TitleAndLeadAdminsOnly);
    assert_eq!(then(vec![ann()], update(title("CTO"), herself())).await, Ok(vec![]));
    assert_eq!(
        then(vec![ann()], update(title("CEO"), admin())).await.map(|e| e.len()),
        Ok(1)
    );
    assert_eq!(then(vec![ann()], update(lead, admin())).await.map(|e| e.len()), Ok(1));
}

#[tokio::test]
async fn an_update_keeps_the_creation_rules() {
    let cases = [
        (
            UserPatch {
                first_name: Patch::Clear,
                ..UserPatch::default()
            },
            UserError::FirstNameRequired,
        ),
        (
            UserPatch {
                last_name: Patch::Set("  ".into()),
                ..UserPatch::default()
            },
            UserError::LastNameRequired,
        ),
        (
            UserPatch {
                location: Patch::Set("x".repeat(256)),
                ..UserPatch::default()
            },
            UserError::LocationTooLong,
        ),
        (
            UserPatch {
                birthday: Patch::Set(ApiDateTime::parse("2030-01-01").unwrap()),
                ..UserPatch::default()
            },
            UserError::BirthdayInFuture,
        ),
        (
            UserPatch {
                works_from: Patch::Clear,
                ..UserPatch::default()
            },
            UserError::WorksFromRequired,
        ),
        (
            UserPatch {
                department: Some((0..101).map(Uuid::from_u128).collect()),
                ..UserPatch::default()
            },
            UserError::TooManyDepartments,
        ),
    ];
    for (patch, error) in cases {
        given()
            .given(vec![ann()])
            .when_async(update(patch, admin()))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn disable_terminates_and_reactivates_and_only_an_admin_may() {
    let disable = |d: bool| UserPatch {
        disable: Some(d),
        ..UserPatch::default()
    };
    assert_eq!(
        then(vec![ann()], update(disable(true), admin())).await,
        Ok(vec![terminated()])
    );
    assert_eq!(
        then(vec![ann(), terminated()], update(disable(false), admin())).await,
        Ok(vec![UserEvent::UserReactivated(Reactivated {})])
    );
    assert_eq!(
        then(vec![ann()], update(disable(false), herself())).await,
        Ok(vec![]),
        "no change needs no right"
    );
    given()
        .given(vec![ann()])
        .when_async(update(disable(true), herself()))
        .await
        .then_expect_error(UserError::AdminsOnly);
    given()
        .given(vec![created(OWNER, true)])
        .when_async(update(disable(true), admin()))
        .await
        .then_expect_error(UserError::OwnerStaysActive);
}

#[tokio::test]
async fn a_terminated_user_is_not_edited_unless_the_same_update_reactivates_them() {
    let rename = |disable| UserPatch {
        first_name: Patch::Set("Anne".into()),
        disable,
        ..UserPatch::default()
    };
    given()
        .given(vec![ann(), terminated()])
        .when_async(update(rename(None), admin()))
        .await
        .then_expect_error(UserError::Terminated);
    let events = then(vec![ann(), terminated()], update(rename(Some(false)), admin()))
        .await
        .unwrap();
    assert!(
        matches!(
            events.as_slice(),
            [UserEvent::UserReactivated(_), UserEvent::UserUpdated(_)]
        ),
        "{events:?}"
    );
}

#[tokio::test]
async fn status_is_set_by_admins_never_on_the_owner_or_oneself() {
    assert_eq!(
        then(vec![ann()], status(UserStatus::Terminated, admin())).await,
        Ok(vec![terminated()])
    );
    assert_eq!(
        then(vec![ann(), terminated()], status(UserStatus::Terminated, admin())).await,
        Ok(vec![])
    );
    for (history, by, error) in [
        (vec![ann()], member(), UserError::AdminsOnly),
        (vec![created(OWNER, true)], admin(), UserError::OwnerStaysActive),
        (vec![created(admin().id, false)], admin(), UserError::OwnStatus),
    ] {
        given()
            .given(history)
            .when_async(status(UserStatus::Terminated, by))
            .await
            .then_expect_error(error);
    }
    given()
        .given(vec![ann()])
        .when_async(status(UserStatus::LeaveOfAbsence, admin()))
        .await
        .then_expect_error(UserError::StatusNotSettable);
}

#[tokio::test]
async fn a_termination_or_password_change_starts_a_new_session_generation_and_a_reactivation_does_not() {
    let mut user = User::default();
    let mut generations = vec![];
    for e in [
        ann(),
        terminated(),
        UserEvent::UserReactivated(Reactivated {}),
        UserEvent::UserPasswordChanged(PasswordChanged {
            password_hash: PasswordHash::new("$x".into()),
        }),
    ] {
        cqrs_es::Aggregate::apply(&mut user, e);
        let r = user.record().unwrap();
        generations.push((r.session_generation, r.is_active()));
    }
    assert_eq!(generations, [(0, true), (1, false), (1, true), (2, true)]);
    assert_eq!(user.record().unwrap().terminated, None);
}

#[tokio::test]
async fn the_type_is_changed_by_admins_and_neither_the_owner_nor_an_admin_becomes_a_visitor() {
    let to = |user_type, by| UserCommand::SetType { user_type, by };
    let visitor = UserEvent::UserTypeChanged(TypeChanged {
        user_type: UserType::Visitor,
    });
    assert_eq!(
        then(vec![ann()], to(UserType::Visitor, admin())).await,
        Ok(vec![visitor.clone()])
    );
    assert_eq!(then(vec![ann()], to(UserType::User, admin())).await, Ok(vec![]));
    let granted = UserEvent::UserAdministratorGranted(AdministratorChanged {});
    for (history, by, error) in [
        (vec![ann()], herself(), UserError::AdminsOnly),
        (vec![created(OWNER, true)], admin(), UserError::OwnerCannotBeVisitor),
        (vec![ann(), granted], admin(), UserError::AdministratorCannotBeVisitor),
    ] {
        given()
            .given(history)
            .when_async(to(UserType::Visitor, by))
            .await
            .then_expect_error(error);
    }
    let patch = UserPatch {
        is_visitor: Some(true),
        ..UserPatch::default()
    };
    assert_eq!(then(vec![ann()], update(patch, admin())).await, Ok(vec![visitor]));
}

#[tokio::test]
async fn an_email_change_says_from_and_to_lower_cased_and_only_self_or_an_admin_may() {
    let changed = UserEvent::UserEmailChanged(EmailChanged {
        from: Email::parse("Ann.Lee@Example.com").unwrap(),
        to: Email::parse("ann@new.io").unwrap(),
    });
    assert_eq!(
        then(vec![ann()], email("Ann@New.IO", herself())).await,
        Ok(vec![changed.clone()])
    );
    assert_eq!(
        then(vec![ann(), changed], email("ann@new.io", admin())).await,
        Ok(vec![])
    );
    for (history, by, error) in [
        (vec![ann()], member(), UserError::NotYourProfile),
        (vec![created(OWNER, true)], admin(), UserError::OwnerCredentials),
        (vec![ann(), terminated()], admin(), UserError::Terminated),
    ] {
        given()
            .given(history)
            .when_async(email("x@y.io", by))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn a_password_change_stores_a_new_hash_only_within_the_policy() {
    let events = then(vec![ann()], password(" new-secret-1 ", herself())).await.unwrap();
    assert_eq!(
        events,
        vec![UserEvent::UserPasswordChanged(PasswordChanged {
            password_hash: PasswordHash::new("$fake$new-hash".into())
        })]
    );
    assert!(!serde_json::to_string(&events).unwrap().contains("new-secret-1"));
    for bad in ["short", "has space inside", "   ", "pässwörd-1"] {
        given()
            .given(vec![ann()])
            .when_async(password(bad, admin()))
            .await
            .then_expect_error(UserError::PasswordPolicy);
    }
    for (history, by, error) in [
        (vec![ann()], member(), UserError::NotYourProfile),
        (vec![created(OWNER, true)], admin(), UserError::OwnerCredentials),
        (vec![ann(), terminated()], admin(), UserError::Terminated),
    ] {
        given()
            .given(history)
            .when_async(password("good-password", by))
            .await
            .then_expect_error(error);
    }
    assert_eq!(
        then(vec![created(OWNER, true)], password("good-password", owner()))
            .await
            .map(|e| e.len()),
        Ok(1)
    );
}

#[tokio::test]
async fn only_a_terminated_user_other_than_the_owner_is_deleted_and_by_an_admin() {
    let delete = |by| UserCommand::Delete { by };
    assert_eq!(
        then(vec![ann(), terminated()], delete(admin())).await,
        Ok(vec![UserEvent::UserDeleted(UserRemoved {})])
    );
    for (history, by, error) in [
        (vec![ann()], admin(), UserError::NotTerminated),
        (vec![ann(), terminated()], member(), UserError::AdminsOnly),
        (vec![created(OWNER, true)], admin(), UserError::OwnerCannotBeDeleted),
    ] {
        given()
            .given(history)
            .when_async(delete(by))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn only_the_owner_grants_and_revokes_administrators_and_keeps_their_own_rights() {
    let set = |administrator, by| UserCommand::SetAdministrator { administrator, by };
    let granted = UserEvent::UserAdministratorGranted(AdministratorChanged {});
    assert_eq!(then(vec![ann()], set(true, owner())).await, Ok(vec![granted.clone()]));
    assert_eq!(then(vec![ann(), granted.clone()], set(true, owner())).await, Ok(vec![]));
    assert_eq!(
        then(vec![ann(), granted.clone()], set(false, owner())).await,
        Ok(vec![UserEvent::UserAdministratorRevoked(AdministratorChanged {})])
    );
    let visitor = UserEvent::UserTypeChanged(TypeChanged {
        user_type: UserType::Visitor,
    });
    for (history, administrator, by, error) in [
        (vec![ann()], true, admin(), UserError::OwnerGrantsAdministrators),
        (
            vec![ann(), granted],
            false,
            admin(),
            UserError::OwnerGrantsAdministrators,
        ),
        (
            vec![created(OWNER, true)],
            false,
            owner(),
            UserError::OwnerStaysAdministrator,
        ),
        (
            vec![ann(), visitor],
            true,
            owner(),
            UserError::VisitorCannotBeAdministrator,
        ),
    ] {
        given()
            .given(history)
            .when_async(set(administrator, by))
            .await
            .then_expect_error(error);
    }
}

#[tokio::test]
async fn a_deleted_or_unknown_user_refuses_every_command() {
    let commands = [
        update(
            UserPatch {
                location: Patch::Set("x".into()),
                ..UserPatch::default()
            },
            owner(),
        ),
        status(UserStatus::Active, owner()),
        UserCommand::SetType {
            user_type: UserType::Visitor,
            by: owner(),
        },
        email("x@y.io", owner()),
        password("good-password", owner()),
        UserCommand::Delete { by: owner() },
        UserCommand::SetAdministrator {
            administrator: true,
            by: owner(),
        },
    ];
    let deleted = UserEvent::UserDeleted(UserRemoved {});
    for command in commands {
        given()
            .given(vec![ann(), terminated(), deleted.clone()])
            .when_async(command.clone())
            .await
            .then_expect_error(UserError::NotFound);
        given()
            .given_no_previous_events()
            .when_async(command)
            .await
            .then_expect_error(UserError::NotFound);
    }
}

#[test]
fn the_record_folds_every_event_and_the_event_names_are_stable() {
    use cqrs_es::DomainEvent;
    let events = [
        ann(),
        UserEvent::UserUpdated(Box::new(UserChanges {
            location: Some(Some("Riga".into())),
            ..UserChanges::default()
        })),
        terminated(),
        UserEvent::UserReactivated(Reactivated {}),
        UserEvent::UserTypeChanged(TypeChanged {
            user_type: UserType::Visitor,
        }),
        UserEvent::UserEmailChanged(EmailChanged {
            from: Email::parse("Ann.Lee@Example.com").unwrap(),
            to: Email::parse("ann@new.io").unwrap(),
        }),
        UserEvent::UserPasswordChanged(PasswordChanged {
            password_hash: PasswordHash::new("$x".into()),
        }),
        UserEvent::UserAdministratorGranted(AdministratorChanged {}),
        UserEvent::UserAdministratorRevoked(AdministratorChanged {}),
        terminated(),
        UserEvent::UserDeleted(UserRemoved {}),
    ];
    let names: Vec<String> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(
        names,
        [
            "UserCreated",
            "UserUpdated",
            "UserTerminated",
            "UserReactivated",
            "UserTypeChanged",
            "UserEmailChanged",
            "UserPasswordChanged",
            "UserAdministratorGranted",
            "UserAdministratorRevoked",
            "UserTerminated",
            "UserDeleted"
        ]
    );
    assert!(events.iter().all(|e| e.event_version() == "1"));
    let mut user = User::default();
    for e in events {
        cqrs_es::Aggregate::apply(&mut user, e);
    }
    let r = user.record().unwrap();
    assert_eq!(
        (
            r.location.as_deref(),
            r.is_visitor,
            r.email.as_str(),
            r.is_admin,
            r.terminated,
            r.deleted
        ),
        (Some("Riga"), true, "ann@new.io", false, Some(at()), true)
    );
    assert!(user.live().is_none());
}

/// Events are stored as JSON forever: every stored shape must keep loading. A `UserCreated` written
/// before users could change (and before `terminated`, `session_generation` and `deleted` existed)
/// folds into a live, active user in generation 0.
#[test]
fn payloads_stored_by_earlier_versions_still_load() {
    let created_v1 = r#"{"UserCreated":{"id":"00000000-0000-0000-0000-000000000009","user_name":"ann",
        "email":"Ann@x.io","first_name":"Ann","last_name":"Lee","is_visitor":false,"is_admin":false,
        "is_owner":false,"department":[],"title":null,"location":null,"sex":"Female",
        "birthday":"2008-04-10T06:30:00.1234567Z","works_from":"2025-01-10T00:00:00.0000000Z","notes":null,
        "contacts":[{"type":"GTalk","value":"a@b.io"}],"avatar_url":null,"lead":null,"status":"Active",
        "activation_status":"Pending","password_hash":"$argon2id$v=19$m=19456,t=2,p=1$x$y","created_by":null,
        "created_at":"2025-01-10T10:00:00.0000000Z"}}"#;
    let updated_v1 = r#"{"UserUpdated":{"location":"Riga","title":null}}"#;
    let mut user = User::default();
    for payload in [created_v1, updated_v1] {
        let event: UserEvent = serde_json::from_str(payload).unwrap_or_else(|e| panic!("{payload}: {e}"));
        cqrs_es::Aggregate::apply(&mut user, event);
    }
    let r = user.live().unwrap();
    assert_eq!(
        (r.email.as_str(), r.location.as_deref(), r.sex, r.session_generation),
        ("Ann@x.io", Some("Riga"), Some(Sex::Female), 0)
    );
    assert!(r.is_active() && r.password_hash.is_some() && r.terminated.is_none());
}
