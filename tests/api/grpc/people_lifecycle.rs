//! People that come and go over gRPC: `UpdateUser`, `SetUserStatus`, `SetUserType`,
//! `ChangeUserEmail`, `ChangeUserPassword`, `DeleteUser` and `SetAdministrator`, with
//! `expected_version` (ABORTED), the state rules (FAILED_PRECONDITION), rights (PERMISSION_DENIED),
//! and a terminated user's token refused at once by the instance that terminated them and by every
//! other one once notified.

use std::net::SocketAddr;
use std::time::Duration;

use rollcall::config::Settings;
use rollcall::grpc::pb::user_service_client::UserServiceClient;
use rollcall::grpc::pb::{
    ChangeUserEmailRequest, ChangeUserPasswordRequest, DeleteUserRequest, GetUserRequest, SetAdministratorRequest,
    SetUserStatusRequest, SetUserTypeRequest, Sex, UpdateUserRequest, User, UserStatus, UserType,
};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Code, Status};

use super::statuses::assert_invalid;
use super::{authed, channel};
use crate::helpers::{MEMBER_PASSWORD, TestApp, eventually, secret, user_draft};

/// Another instance of the service on the given settings (the same database and auth secret).
pub struct Instance {
    pub grpc: SocketAddr,
    shutdown: CancellationToken,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Instance {
    pub async fn start(settings: &Settings) -> Instance {
        let shutdown = CancellationToken::new();
        let running = rollcall::startup::start(settings, shutdown.clone())
            .await
            .expect("a second instance starts");
        let grpc = running.grpc_addr;
        tokio::spawn(running.stopped());
        Instance { grpc, shutdown }
    }
}

struct Grpc {
    t: TestApp,
    owner: String,
    users: UserServiceClient<Channel>,
}

impl Grpc {
    async fn spawn() -> Grpc {
        let t = TestApp::spawn().await;
        let owner = t.owner_token().await;
        let users = UserServiceClient::new(channel(t.grpc_addr).await);
        Grpc { t, owner, users }
    }

    /// A member's GUID and token.
    async fn member(&self, email: &str) -> (String, String) {
        let id = self.t.member(email, false).await.id.to_string();
        (id, self.t.token(email, MEMBER_PASSWORD).await)
    }

    async fn update(&mut self, token: &str, request: UpdateUserRequest) -> Result<User, Status> {
        let answer = self.users.update_user(authed(request, token)).await;
        answer.map(|r| r.into_inner())
    }

    async fn status(&mut self, ids: &[&str], status: UserStatus) -> Result<Vec<User>, Status> {
        let request = SetUserStatusRequest {
            user_ids: ids.iter().map(|s| s.to_string()).collect(),
            status: status.into(),
        };
        let answer = self.users.set_user_status(authed(request, &self.owner)).await;
        answer.map(|r| r.into_inner().items)
    }

    async fn delete(&mut self, token: &str, id: &str, expected_version: Option<u64>) -> Result<User, Status> {
        let request = DeleteUserRequest {
            id: id.into(),
            expected_version,
            ..Default::default()
        };
        self.users
            .delete_user(authed(request, token))
            .await
            .map(|r| r.into_inner())
    }
}

/// `GetUser` of the caller on the instance at `addr`: the status code (`Ok` when it answers).
async fn whoami(addr: SocketAddr, id: &str, token: &str) -> Code {
    let mut users = UserServiceClient::new(channel(addr).await);
    let request = authed(GetUserRequest { id: id.into() }, token);
    match users.get_user(request).await {
        Ok(_) => Code::Ok,
        Err(status) => status.code(),
    }
}

/// `whoami` until it answers `code`, within the few seconds another instance may take to be notified.
async fn whoami_soon(addr: SocketAddr, id: &str, token: &str, code: Code) -> Code {
    let answered = eventually(Duration::from_secs(5), || async {
        let now = whoami(addr, id, token).await;
        (now == code).then_some(now)
    });
    match answered.await {
        Some(now) => now,
        None => whoami(addr, id, token).await,
    }
}

#[tokio::test]
async fn update_user_keeps_what_is_unset_clears_what_is_named_and_refuses_a_stale_version() {
    let mut g = Grpc::spawn().await;
    let (ann, ann_token) = g.member("ann@example.com").await;
    let owner = g.owner.clone();
    let set_up = UpdateUserRequest {
        id: ann.clone(),
        title: Some("CTO".into()),
        location: Some("Riga".into()),
        sex: Some(Sex::Female.into()),
        expected_version: Some(1),
        ..Default::default()
    };
    let user = g.update(&owner, set_up).await.unwrap();
    assert_eq!(
        (user.version, user.title.as_deref(), user.sex()),
        (2, Some("CTO"), Sex::Female)
    );

    // By user name, by the user themselves: unset keeps, clear_fields empties.
    let own = UpdateUserRequest {
        id: "ann".into(),
        first_name: Some("Anne".into()),
        clear_fields: vec!["location".into(), "sex".into()],
        ..Default::default()
    };
    let user = g.update(&ann_token, own).await.unwrap();
    assert_eq!(
        (user.first_name.as_str(), user.last_name.as_str()),
        ("Anne", "Zanyatski")
    );
    assert_eq!(
        (user.location.as_deref(), user.sex(), user.title.as_deref()),
        (None, Sex::Unspecified, Some("CTO"))
    );
    assert_eq!(user.version, 3);

    let stale = UpdateUserRequest {
        id: ann.clone(),
        first_name: Some("Stale".into()),
        expected_version: Some(2),
        ..Default::default()
    };
    assert_eq!(g.update(&owner, stale).await.unwrap_err().code(), Code::Aborted);
    let title = UpdateUserRequest {
        id: ann.clone(),
        title: Some("CEO".into()),
        ..Default::default()
    };
    assert_eq!(
        g.update(&ann_token, title).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let nameless = UpdateUserRequest {
        id: ann.clone(),
        clear_fields: vec!["first_name".into()],
        ..Default::default()
    };
    assert_invalid(g.update(&owner, nameless).await.unwrap_err(), "first_name");
    let both = UpdateUserRequest {
        id: ann.clone(),
        title: Some("CEO".into()),
        clear_fields: vec!["title".into()],
        ..Default::default()
    };
    assert_invalid(g.update(&owner, both).await.unwrap_err(), "clear_fields");
    let nobody = UpdateUserRequest {
        id: uuid::Uuid::new_v4().to_string(),
        first_name: Some("X".into()),
        ..Default::default()
    };
    assert_eq!(g.update(&owner, nobody).await.unwrap_err().code(), Code::NotFound);

    let unchanged =
        g.t.app
            .get_user(&g.t.owner().await, ann.parse().unwrap())
            .await
            .unwrap();
    assert_eq!((unchanged.first_name.as_str(), unchanged.version), ("Anne", 3));
}

#[tokio::test]
async fn a_terminated_users_token_is_refused_at_once_where_terminated_soon_everywhere_and_only_a_terminated_user_is_deleted()
 {
    let mut g = Grpc::spawn().await;
    let other = Instance::start(&g.t.settings).await;
    let (ann, old_token) = g.member("ann@example.com").await;
    let instances = [g.t.grpc_addr, other.grpc];
    for addr in instances {
        assert_eq!(whoami(addr, &ann, &old_token).await, Code::Ok);
    }
    let owner = g.owner.clone();
    let active = g.delete(&owner, &ann, None).await.unwrap_err();
    assert_eq!(active.code(), Code::FailedPrecondition, "{active:?}");

    // Terminated through the second instance: its very next call is refused, and the first instance's
    // as soon as the change's notification arrives.
    let mut second = UserServiceClient::new(channel(other.grpc).await);
    let terminate = SetUserStatusRequest {
        user_ids: vec![ann.clone(), g.t.owner().await.id.to_string()],
        status: UserStatus::Terminated.into(),
    };
    let set = second
        .set_user_status(authed(terminate, &g.owner))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(set.items.len(), 1, "the owner is skipped");
    assert_eq!(
        (set.items[0].status(), set.items[0].terminated.is_some()),
        (UserStatus::Terminated, true)
    );
    assert_eq!(whoami(other.grpc, &ann, &old_token).await, Code::Unauthenticated);
    let refused = whoami_soon(g.t.grpc_addr, &ann, &old_token, Code::Unauthenticated).await;
    assert_eq!(refused, Code::Unauthenticated, "once notified");
    let profile = UpdateUserRequest {
        id: ann.clone(),
        location: Some("Riga".into()),
        ..Default::default()
    };
    assert_eq!(
        g.update(&owner, profile).await.unwrap_err().code(),
        Code::FailedPrecondition
    );

    // Reactivated: a new login works everywhere, the old token stays refused.
    let set = g.status(&[&ann], UserStatus::Active).await.unwrap();
    assert_eq!(set[0].status(), UserStatus::Active);
    let new_token = g.t.token("ann@example.com", MEMBER_PASSWORD).await;
    for addr in instances {
        assert_eq!(whoami(addr, &ann, &old_token).await, Code::Unauthenticated, "on {addr}");
        assert_eq!(
            whoami_soon(addr, &ann, &new_token, Code::Ok).await,
            Code::Ok,
            "on {addr}"
        );
    }

    // Terminated again with disable, then deleted: gone, and the email is free.
    let disable = UpdateUserRequest {
        id: ann.clone(),
        disable: Some(true),
        ..Default::default()
    };
    let version = g.update(&owner, disable).await.unwrap().version;
    let stale = g.delete(&owner, &ann, Some(version - 1)).await.unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    let deleted = g.delete(&owner, &ann, Some(version)).await.unwrap();
    assert_eq!(
        (deleted.email.as_str(), deleted.version),
        ("ann@example.com", version + 1)
    );
    assert_eq!(whoami(g.t.grpc_addr, &ann, &new_token).await, Code::Unauthenticated);
    let refused = whoami_soon(other.grpc, &ann, &new_token, Code::Unauthenticated).await;
    assert_eq!(refused, Code::Unauthenticated, "once notified");
    assert_eq!(g.delete(&owner, &ann, None).await.unwrap_err().code(), Code::NotFound);
    let owner_id = g.t.owner().await.id.to_string();
    assert_eq!(
        g.delete(&owner, &owner_id, None).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let again =
        g.t.app
            .create_user(&g.t.owner_meta().await, user_draft("ann@example.com"))
            .await;
    assert!(again.is_ok(), "the deleted user's email is free: {again:?}");
}

#[tokio::test]
async fn type_email_password_and_administrator_change_over_grpc_and_a_password_is_never_echoed() {
    let mut g = Grpc::spawn().await;
    let owner = g.owner.clone();
    let (ann, ann_token) = g.member("ann@example.com").await;
    let (bob, bob_token) = g.member("bob@example.com").await;

    let retype = SetUserTypeRequest {
        user_ids: vec![bob.clone()],
        r#type: UserType::Visitor.into(),
    };
    let set = g
        .users
        .set_user_type(authed(retype.clone(), &owner))
        .await
        .unwrap()
        .into_inner();
    assert!(set.items[0].is_visitor);
    let refused = g.users.set_user_type(authed(retype, &ann_token)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let bad = SetUserTypeRequest {
        user_ids: vec![bob.clone()],
        r#type: UserType::Unspecified.into(),
    };
    assert_invalid(g.users.set_user_type(authed(bad, &owner)).await.unwrap_err(), "type");

    // Email: the old address is free at once, a taken one is ALREADY_EXISTS.
    let email = |id: &str, to: &str, version| ChangeUserEmailRequest {
        id: id.into(),
        email: to.into(),
        expected_version: version,
        ..Default::default()
    };
    let moved = g
        .users
        .change_user_email(authed(email(&ann, "Ann2@Example.com", Some(1)), &ann_token))
        .await;
    let moved = moved.unwrap().into_inner();
    assert_eq!((moved.email.as_str(), moved.version), ("ann2@example.com", 2));
    let taken = g
        .users
        .change_user_email(authed(email(&ann, "bob@example.com", None), &owner))
        .await;
    assert_eq!(taken.unwrap_err().code(), Code::AlreadyExists);
    let stale = g
        .users
        .change_user_email(authed(email(&ann, "ann3@example.com", Some(1)), &owner))
        .await;
    assert_eq!(stale.unwrap_err().code(), Code::Aborted);
    let freed =
        g.t.app
            .create_user(&g.t.owner_meta().await, user_draft("ann@example.com"))
            .await;
    assert!(freed.is_ok(), "the old address is free: {freed:?}");

    // Password: self or an admin; the policy names the field and never echoes the password.
    let password = |id: &str, p: &str| ChangeUserPasswordRequest {
        id: id.into(),
        password: p.into(),
        ..Default::default()
    };
    let weak = g
        .users
        .change_user_password(authed(password(&ann, "short 1"), &ann_token))
        .await;
    let weak = weak.unwrap_err();
    assert_invalid(weak.clone(), "password");
    assert!(!weak.message().contains("short 1"), "{weak:?}");
    let foreign = g
        .users
        .change_user_password(authed(password(&ann, "bobs-choice-1"), &bob_token))
        .await;
    assert_eq!(foreign.unwrap_err().code(), Code::PermissionDenied);
    let changed = g
        .users
        .change_user_password(authed(password(&ann, "new-secret-99"), &ann_token))
        .await;
    let changed = changed.unwrap();
    assert!(
        !format!("{changed:?}").contains("new-secret-99"),
        "the answer holds no password"
    );
    assert_eq!(
        whoami(g.t.grpc_addr, &ann, &ann_token).await,
        Code::Unauthenticated,
        "tokens from before"
    );
    assert!(
        g.t.app
            .login("ann2@example.com", &secret("new-secret-99"))
            .await
            .is_ok()
    );
    assert!(
        g.t.app
            .login("ann2@example.com", &secret(MEMBER_PASSWORD))
            .await
            .is_err()
    );

    // Administrator rights: the owner only, the whole portal only.
    let admin = |grant, product: &str| SetAdministratorRequest {
        user_id: ann.clone(),
        administrator: grant,
        product_id: product.into(),
        ..Default::default()
    };
    let granted = g
        .users
        .set_administrator(authed(admin(true, ""), &owner))
        .await
        .unwrap();
    assert!(granted.into_inner().is_admin);
    let crm = "6743007c-6f95-4d20-8c88-a8601ce5e76d";
    let product = g.users.set_administrator(authed(admin(false, crm), &owner)).await;
    assert_invalid(product.unwrap_err(), "product_id");
    let by_bob = g.users.set_administrator(authed(admin(false, ""), &bob_token)).await;
    assert_eq!(by_bob.unwrap_err().code(), Code::PermissionDenied);
    let nil = "00000000-0000-0000-0000-000000000000";
    let revoked = g
        .users
        .set_administrator(authed(admin(false, nil), &owner))
        .await
        .unwrap();
    assert!(!revoked.into_inner().is_admin);
}
