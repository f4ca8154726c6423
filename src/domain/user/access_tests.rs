//! Given/when/then for the rules of a user's sign-in and end: email, password, deletion, administrator
//! rights, a deleted user, and how the record folds every event, today's and earlier versions'.

use super::lifecycle_tests::{
    OWNER, admin, ann, at, created, email, given, herself, member, owner, password, status, terminated, then, update,
};
use super::*;
use crate::domain::values::{Email, Patch, Sex};

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
