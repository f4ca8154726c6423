//! Given/when/then tests of every User rule.

use std::sync::Arc;

use cqrs_es::test::TestFramework;
use secrecy::SecretString;
use uuid::Uuid;

use super::*;
use crate::domain::datetime::ApiDateTime;
use crate::domain::user::{ContactInput, CreateUser, HashError, PasswordHash, UserDraft};
use crate::domain::values::{Email, Sex, UserName};

struct FakeHasher;

#[async_trait::async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, _password: &SecretString) -> Result<PasswordHash, HashError> {
        Ok(PasswordHash::new("$fake$hash".into()))
    }
}

fn given() -> TestFramework<User> {
    TestFramework::with(Arc::new(FakeHasher) as Arc<dyn PasswordHasher>)
}

fn now() -> ApiDateTime {
    ApiDateTime::parse("2025-01-10T10:15:42Z").unwrap()
}

fn seed_draft() -> UserDraft {
    UserDraft {
        is_visitor: true,
        email: Some("Mike.Zanyatski@domain.com".into()),
        first_name: Some("Mike".into()),
        last_name: Some("Zanyatski".into()),
        department: vec![Uuid::from_u128(1), Uuid::from_u128(1), Uuid::from_u128(2)],
        title: Some("Manager".into()),
        location: Some("Palo Alto".into()),
        sex: Some(Sex::Male),
        birthday: Some(ApiDateTime::parse("2008-04-10T06-30-00.000Z").unwrap()),
        works_from: None,
        comment: Some("Notes to worker".into()),
        contacts: vec![ContactInput {
            kind: "GTalk".into(),
            value: "my@gmail.com".into(),
        }],
        files: Some("https://example.com/a.png".into()),
        password: Some(SecretString::from(" s3cret-pass ".to_string())),
        lead: Some(Uuid::nil()),
    }
}

fn name(s: &str) -> UserName {
    let email = Email::parse(&format!("{s}@x.io")).unwrap();
    UserName::candidates(&email).next().unwrap()
}

fn create(draft: UserDraft, role: UserRole) -> UserCommand {
    UserCommand::Create(Box::new(CreateUser {
        id: Uuid::from_u128(99),
        user_name: name("Mike.Zanyatski"),
        draft,
        role,
        created_by: Some(Uuid::from_u128(5)),
        created_at: now(),
    }))
}

async fn created_event(draft: UserDraft, role: UserRole) -> UserCreated {
    let events = given()
        .given_no_previous_events()
        .when_async(create(draft, role))
        .await
        .inspect_result()
        .unwrap();
    match events.as_slice() {
        [UserEvent::UserCreated(e)] => (**e).clone(),
        other => panic!("unexpected events {other:?}"),
    }
}

async fn rejects(draft: UserDraft, error: UserError) {
    given()
        .given_no_previous_events()
        .when_async(create(draft, UserRole::Member))
        .await
        .then_expect_error(error);
}

#[tokio::test]
async fn the_seed_request_creates_an_active_pending_user_with_a_hash_only() {
    let e = created_event(seed_draft(), UserRole::Member).await;
    assert_eq!(e.email.as_str(), "Mike.Zanyatski@domain.com", "case is kept");
    assert_eq!(e.user_name.as_str(), "Mike.Zanyatski");
    assert_eq!(e.status, UserStatus::Active);
    assert_eq!(e.activation_status, ActivationStatus::Pending);
    assert!(e.is_visitor && !e.is_admin && !e.is_owner);
    assert_eq!(e.department, vec![Uuid::from_u128(1), Uuid::from_u128(2)]);
    assert_eq!(e.lead, None, "the empty GUID means no lead");
    assert_eq!(e.password_hash, Some(PasswordHash::new("$fake$hash".into())));
    assert_eq!(
        e.works_from.to_api_string(),
        "2025-01-10T00:00:00.0000000Z",
        "defaults to today"
    );
    let json = serde_json::to_string(&e).unwrap();
    assert!(
        !json.contains("s3cret-pass"),
        "the event must not hold the password: {json}"
    );
}

#[tokio::test]
async fn the_owner_is_an_activated_admin_and_never_a_visitor() {
    let e = created_event(seed_draft(), UserRole::Owner).await;
    assert!(e.is_owner && e.is_admin && !e.is_visitor);
    assert_eq!(e.activation_status, ActivationStatus::Activated);
}

#[tokio::test]
async fn an_empty_password_creates_a_user_without_a_hash() {
    let draft = UserDraft {
        password: Some(SecretString::from("   ".to_string())),
        ..seed_draft()
    };
    assert_eq!(created_event(draft, UserRole::Member).await.password_hash, None);
}

#[tokio::test]
async fn creating_an_existing_user_is_refused() {
    let existing = created_event(seed_draft(), UserRole::Member).await;
    given()
        .given(vec![UserEvent::UserCreated(Box::new(existing))])
        .when_async(create(seed_draft(), UserRole::Member))
        .await
        .then_expect_error(UserError::AlreadyCreated);
}

#[tokio::test]
async fn email_is_required_and_must_be_valid() {
    rejects(
        UserDraft {
            email: None,
            ..seed_draft()
        },
        UserError::EmailRequired,
    )
    .await;
    rejects(
        UserDraft {
            email: Some(" ".into()),
            ..seed_draft()
        },
        UserError::EmailRequired,
    )
    .await;
    rejects(
        UserDraft {
            email: Some("abc".into()),
            ..seed_draft()
        },
        UserError::EmailInvalid,
    )
    .await;
}

#[tokio::test]
async fn first_and_last_names_are_required_and_bounded() {
    rejects(
        UserDraft {
            first_name: None,
            ..seed_draft()
        },
        UserError::FirstNameRequired,
    )
    .await;
    rejects(
        UserDraft {
            first_name: Some("  ".into()),
            ..seed_draft()
        },
        UserError::FirstNameRequired,
    )
    .await;
    rejects(
        UserDraft {
            last_name: None,
            ..seed_draft()
        },
        UserError::LastNameRequired,
    )
    .await;
    let long = Some("x".repeat(256));
    rejects(
        UserDraft {
            first_name: long.clone(),
            ..seed_draft()
        },
        UserError::FirstNameTooLong,
    )
    .await;
    rejects(
        UserDraft {
            last_name: long,
            ..seed_draft()
        },
        UserError::LastNameTooLong,
    )
    .await;
}

#[tokio::test]
async fn optional_text_fields_are_bounded() {
    let line = Some("x".repeat(256));
    rejects(
        UserDraft {
            title: line.clone(),
            ..seed_draft()
        },
        UserError::TitleTooLong,
    )
    .await;
    rejects(
        UserDraft {
            location: line,
            ..seed_draft()
        },
        UserError::LocationTooLong,
    )
    .await;
    rejects(
        UserDraft {
            comment: Some("x".repeat(8001)),
            ..seed_draft()
        },
        UserError::CommentTooLong,
    )
    .await;
    rejects(
        UserDraft {
            files: Some("x".repeat(2049)),
            ..seed_draft()
        },
        UserError::AvatarUrlTooLong,
    )
    .await;
}

#[tokio::test]
async fn lists_are_bounded_and_contacts_need_a_type() {
    let departments = (0..101).map(Uuid::from_u128).collect();
    rejects(
        UserDraft {
            department: departments,
            ..seed_draft()
        },
        UserError::TooManyDepartments,
    )
    .await;
    let contact = |kind: &str, value: &str| ContactInput {
        kind: kind.into(),
        value: value.into(),
    };
    let many = (0..101).map(|_| contact("GTalk", "x")).collect();
    rejects(
        UserDraft {
            contacts: many,
            ..seed_draft()
        },
        UserError::TooManyContacts,
    )
    .await;
    rejects(
        UserDraft {
            contacts: vec![contact(" ", "x")],
            ..seed_draft()
        },
        UserError::ContactTypeRequired,
    )
    .await;
    let long = "x".repeat(256);
    rejects(
        UserDraft {
            contacts: vec![contact("GTalk", &long)],
            ..seed_draft()
        },
        UserError::ContactTooLong,
    )
    .await;
}

#[tokio::test]
async fn a_birthday_in_the_future_is_refused() {
    let birthday = Some(ApiDateTime::parse("2030-01-01").unwrap());
    rejects(
        UserDraft {
            birthday,
            ..seed_draft()
        },
        UserError::BirthdayInFuture,
    )
    .await;
}

#[tokio::test]
async fn a_password_outside_the_policy_is_refused() {
    for bad in ["short", "has space inside", "pässwörd-1"] {
        let draft = UserDraft {
            password: Some(SecretString::from(bad.to_string())),
            ..seed_draft()
        };
        rejects(draft, UserError::PasswordPolicy).await;
    }
}

#[tokio::test]
async fn the_user_name_must_derive_from_the_email() {
    let mut cmd = CreateUser {
        id: Uuid::from_u128(99),
        user_name: name("someone.else"),
        draft: seed_draft(),
        role: UserRole::Member,
        created_by: None,
        created_at: now(),
    };
    given()
        .given_no_previous_events()
        .when_async(UserCommand::Create(Box::new(cmd.clone())))
        .await
        .then_expect_error(UserError::UserNameMismatch);
    cmd.user_name = UserName::candidates(&Email::parse("Mike.Zanyatski@domain.com").unwrap())
        .nth(2)
        .unwrap();
    let result = given()
        .given_no_previous_events()
        .when_async(UserCommand::Create(Box::new(cmd)))
        .await;
    assert!(
        result.inspect_result().is_ok(),
        "Mike.Zanyatski2 derives from the email"
    );
}

#[tokio::test]
async fn events_have_stable_names_and_a_version() {
    use cqrs_es::DomainEvent;
    let e = UserEvent::UserCreated(Box::new(created_event(seed_draft(), UserRole::Member).await));
    assert_eq!(e.event_type(), "UserCreated");
    assert_eq!(e.event_version(), "1");
}

#[tokio::test]
async fn the_heaviest_user_every_rule_allows_needs_no_size_rule() {
    // Each character a control character (six bytes of JSON), each field and list at its bound: the
    // event still weighs less than `size::MAX_RECORD_BYTES`. A new or longer field must keep it so
    // (or add a `TooLarge` rule as persons and companies have).
    let c = |n: usize| "\u{1}".repeat(n);
    let draft = UserDraft {
        first_name: Some(format!("a{}", c(254))),
        last_name: Some(format!("a{}", c(254))),
        title: Some(format!("a{}", c(254))),
        location: Some(format!("a{}", c(254))),
        comment: Some(format!("a{}", c(7_999))),
        files: Some(format!("a{}", c(2_047))),
        department: (0..100).map(Uuid::from_u128).collect(),
        contacts: (0..100)
            .map(|_| ContactInput {
                kind: format!("a{}", c(254)),
                value: format!("a{}", c(254)),
            })
            .collect(),
        ..seed_draft()
    };
    let event = created_event(draft, UserRole::Member).await;
    let weight = crate::domain::size::json_len(&event);
    assert!(weight > 300_000, "the draft is as heavy as the rules allow: {weight}");
    assert!(weight < crate::domain::size::MAX_RECORD_BYTES, "{weight}");
}
