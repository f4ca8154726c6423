//! Given/when/then for every rule of a user's life after their creation: profile, status and type
//! (email, password, deletion, administrators and the fold are in `access_tests.rs`), and the fixtures
//! both share.

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

pub(super) fn given() -> Given {
    Given::with(Arc::new(FakeHasher) as Arc<dyn PasswordHasher>)
}

pub(super) const ANN: Uuid = Uuid::from_u128(7);
pub(super) const OWNER: Uuid = Uuid::from_u128(1);

pub(super) fn at() -> ApiDateTime {
    ApiDateTime::parse("2025-02-01T09:00:00Z").unwrap()
}

pub(super) fn created(id: Uuid, owner: bool) -> UserEvent {
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

pub(super) fn ann() -> UserEvent {
    created(ANN, false)
}

pub(super) fn terminated() -> UserEvent {
    UserEvent::UserTerminated(Terminated { at: at() })
}

pub(super) fn owner() -> Editor {
    Editor {
        id: OWNER,
        is_admin: true,
        is_owner: true,
    }
}

pub(super) fn admin() -> Editor {
    Editor {
        id: Uuid::from_u128(2),
        is_admin: true,
        is_owner: false,
    }
}

pub(super) fn member() -> Editor {
    Editor {
        id: Uuid::from_u128(3),
        is_admin: false,
        is_owner: false,
    }
}

pub(super) fn herself() -> Editor {
    Editor {
        id: ANN,
        is_admin: false,
        is_owner: false,
    }
}

pub(super) fn update(patch: UserPatch, by: Editor) -> UserCommand {
    UserCommand::Update(Box::new(UpdateUser { patch, by, at: at() }))
}

pub(super) fn status(status: UserStatus, by: Editor) -> UserCommand {
    UserCommand::SetStatus { status, by, at: at() }
}

pub(super) fn email(to: &str, by: Editor) -> UserCommand {
    UserCommand::ChangeEmail {
        email: Email::parse(to).unwrap(),
        by,
    }
}

pub(super) fn password(p: &str, by: Editor) -> UserCommand {
    UserCommand::ChangePassword {
        password: SecretString::from(p.to_string()),
        by,
    }
}

pub(super) async fn then(history: Vec<UserEvent>, when: UserCommand) -> Result<Vec<UserEvent>, UserError> {
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
