//! Who gets in after people change: a terminated user's tokens are refused at once on the instance
//! that committed the change and on every other one once notified, and reactivation does not revive them; password and email changes move the sign-in; an address
//! has one holder however many ask for it; and every new event reaches `P-events` without a hash.

use std::net::SocketAddr;
use std::time::Duration;

use async_nats::jetstream;
use serde_json::json;

use super::people_lifecycle::{delete, etag, member, put, send, set_many, user};
use super::{Rest, error_message, read, response, second_instance};
use crate::events_out::published_ids;
use crate::fold::{count_events, read_model_difference};
use crate::helpers::{MEMBER_PASSWORD, eventually, secret, user_draft};

/// `GET people/@self` on the instance at `http`: its status.
async fn whoami(r: &Rest, http: SocketAddr, token: &str) -> u16 {
    let url = format!("http://{http}/api/2.0/people/@self");
    let res = r.client.get(url).header("Authorization", token).send().await.unwrap();
    res.status().as_u16()
}

/// A REST login's status (201 with a token, or 401).
async fn login_status(r: &Rest, user: &str, password: &str) -> u16 {
    let res = r
        .client
        .post(r.url("authentication"))
        .json(&json!({"userName": user, "password": password}))
        .send()
        .await
        .unwrap();
    res.status().as_u16()
}

/// `whoami` until it answers `status`, within the few seconds another instance may take to be notified.
async fn whoami_soon(r: &Rest, http: SocketAddr, token: &str, status: u16) -> u16 {
    let answered = eventually(Duration::from_secs(5), || async {
        let now = whoami(r, http, token).await;
        (now == status).then_some(now)
    });
    match answered.await {
        Some(now) => now,
        None => whoami(r, http, token).await,
    }
}

#[tokio::test]
async fn a_terminated_users_token_is_refused_at_once_where_terminated_soon_everywhere_and_reactivation_does_not_revive_it()
 {
    let r = Rest::spawn().await;
    let other = second_instance(&r).await;
    let owner = r.owner_token().await;
    let (ann, old_token) = member(&r, "ann@example.com").await;
    let instances = [r.t.http_addr, other.http];
    for http in instances {
        assert_eq!(whoami(&r, http, &old_token).await, 200);
    }

    // Terminated through the second instance: its very next request is refused, and the first
    // instance's as soon as the change's notification arrives.
    let url = format!("http://{}/api/2.0/people/status/Terminated", other.http);
    let res = r
        .client
        .put(url)
        .header("Authorization", &owner)
        .json(&json!({"userIds": [ann]}));
    let (status, body) = send(res).await;
    assert_eq!(response(status, &body, 200).as_array().unwrap().len(), 1);
    assert_eq!(
        whoami(&r, other.http, &old_token).await,
        401,
        "refused at once where terminated"
    );
    assert_eq!(
        whoami_soon(&r, r.t.http_addr, &old_token, 401).await,
        401,
        "refused once notified"
    );
    assert_eq!(login_status(&r, "ann@example.com", MEMBER_PASSWORD).await, 401);

    set_many(&r, &owner, "people/status/Active", &[&ann]).await;
    let new_token = r.login("ann@example.com", MEMBER_PASSWORD).await;
    for http in instances {
        assert_eq!(
            whoami(&r, http, &old_token).await,
            401,
            "the old token stays refused on {http}"
        );
        assert_eq!(
            whoami_soon(&r, http, &new_token, 200).await,
            200,
            "a new login works on {http}"
        );
    }

    // Deleted: refused too.
    set_many(&r, &owner, "people/status/Terminated", &[&ann]).await;
    let (status, body) = send(delete(&r, &format!("people/{ann}"), &owner)).await;
    response(status, &body, 200);
    assert_eq!(whoami(&r, r.t.http_addr, &new_token).await, 401);
    assert_eq!(whoami_soon(&r, other.http, &new_token, 401).await, 401);
    assert_eq!(login_status(&r, "ann@example.com", MEMBER_PASSWORD).await, 401);
}

#[tokio::test]
async fn a_changed_password_lets_the_new_one_in_and_keeps_the_old_one_and_its_tokens_out() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, ann_token) = member(&r, "ann@example.com").await;
    let (bob, bob_token) = member(&r, "bob@example.com").await;
    let path = format!("people/{ann}/password");

    let (status, body) = send(put(&r, &path, &ann_token).json(&json!({"password": "short"}))).await;
    assert!(error_message(status, &body, 400).starts_with("password:"), "{body}");
    let (status, body) = send(put(&r, &path, &bob_token).json(&json!({"password": "bobs-choice-1"}))).await;
    error_message(status, &body, 403);

    let res = put(&r, &path, &ann_token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("password=new-secret-99");
    let res = res.send().await.unwrap();
    assert_eq!(etag(&res), "\"2\"");
    let (status, body) = read(res).await;
    assert_eq!(response(status, &body, 200)["Id"], json!(ann));
    assert_eq!(login_status(&r, "ann@example.com", MEMBER_PASSWORD).await, 401);
    assert_eq!(login_status(&r, "ann@example.com", "new-secret-99").await, 201);
    assert_eq!(
        whoami(&r, r.t.http_addr, &ann_token).await,
        401,
        "tokens issued before are refused"
    );

    // An administrator sets anyone's password but the owner's.
    let (status, body) = send(put(&r, &path, &owner).json(&json!({"password": "reset-by-owner"}))).await;
    response(status, &body, 200);
    assert_eq!(login_status(&r, "ann", "reset-by-owner").await, 201);
    let grant = json!({"userid": bob, "administrator": true});
    send(put(&r, "settings/security/administrator", &owner).json(&grant)).await;
    let me = r.t.owner().await.id.to_string();
    let (status, body) =
        send(put(&r, &format!("people/{me}/password"), &bob_token).json(&json!({"password": "taken-over"}))).await;
    error_message(status, &body, 403);

    let leaked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE payload::text LIKE '%new-secret-99%' OR payload::text LIKE '%reset-by-owner%'",
    )
    .fetch_one(&r.t.pool)
    .await
    .unwrap();
    assert_eq!(leaked, 0, "only hashes are stored");
}

#[tokio::test]
async fn an_email_change_frees_the_old_address_for_a_new_user_and_a_taken_one_is_409() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, ann_token) = member(&r, "Ann@Example.com").await;
    let (bob, bob_token) = member(&r, "bob@example.com").await;

    let res = put(&r, &format!("people/{ann}/email"), &ann_token).json(&json!({"email": "Ann.New@Example.COM"}));
    let res = res.send().await.unwrap();
    assert_eq!(etag(&res), "\"2\"");
    let (status, body) = read(res).await;
    let got = response(status, &body, 200);
    assert_eq!(
        (&got["Email"], &got["UserName"]),
        (&json!("ann.new@example.com"), &json!("Ann"))
    );
    assert_eq!(login_status(&r, "ann.new@example.com", MEMBER_PASSWORD).await, 201);
    assert_eq!(login_status(&r, "Ann@Example.com", MEMBER_PASSWORD).await, 401);
    let (status, body) = send(r.post("people", &owner).json(&json!({
        "email": "ann@example.com", "firstname": "Other", "lastname": "Ann"
    })))
    .await;
    response(status, &body, 201);

    let taken = json!({"email": "ANN.NEW@example.com"});
    let (status, body) = send(put(&r, &format!("people/{bob}/email"), &owner).json(&taken)).await;
    error_message(status, &body, 409);
    let (status, body) =
        send(put(&r, &format!("people/{bob}/email"), &bob_token).json(&json!({"email": "nope"}))).await;
    assert!(error_message(status, &body, 400).starts_with("email:"), "{body}");
    // Someone without the right learns nothing of the address, and claims nothing.
    let free = json!({"email": "free@example.com"});
    let (status, body) = send(put(&r, &format!("people/{ann}/email"), &bob_token).json(&free)).await;
    error_message(status, &body, 403);
    let (status, body) = send(put(&r, &format!("people/{ann}/email"), &bob_token).json(&taken)).await;
    error_message(status, &body, 403);
    let claims: i64 = sqlx::query_scalar("SELECT count(*) FROM user_email_claims WHERE email_key = 'free@example.com'")
        .fetch_one(&r.t.pool)
        .await
        .unwrap();
    assert_eq!(claims, 0);
    assert_eq!(user(&r, &owner, &bob).await["Email"], "bob@example.com");
    assert_eq!(read_model_difference(&r.t.pool).await, None);
}

#[tokio::test]
async fn twenty_concurrent_email_changes_to_one_address_leave_exactly_one_holder() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let meta = r.t.owner_meta().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        let view =
            r.t.app
                .create_user(&meta, user_draft(&format!("u{i}@example.com")))
                .await
                .unwrap();
        ids.push(view.id.to_string());
    }
    let changes = ids.iter().map(|id| {
        let req = put(&r, &format!("people/{id}/email"), &owner).json(&json!({"email": "Same@Example.com"}));
        async move { (id.clone(), req.send().await.unwrap().status().as_u16()) }
    });
    let outcomes = futures::future::join_all(changes).await;
    let winners: Vec<&String> = outcomes.iter().filter(|(_, s)| *s == 200).map(|(id, _)| id).collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert!(outcomes.iter().all(|(_, s)| [200, 409].contains(s)), "{outcomes:?}");

    let holders: Vec<(uuid::Uuid, bool)> =
        sqlx::query_as("SELECT user_id, confirmed FROM user_email_claims WHERE email_key = 'same@example.com'")
            .fetch_all(&r.t.pool)
            .await
            .unwrap();
    assert_eq!(holders, [(winners[0].parse().unwrap(), true)]);
    let in_read_model: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE lower(email) = 'same@example.com'")
        .fetch_one(&r.t.pool)
        .await
        .unwrap();
    assert_eq!(in_read_model, 1);
    for (id, status) in &outcomes {
        let email = user(&r, &owner, id).await["Email"].as_str().unwrap().to_string();
        assert_eq!(email == "same@example.com", *status == 200, "{id}: {email}");
    }
}

#[tokio::test]
async fn every_lifecycle_event_is_published_on_its_subject_without_a_password_hash() {
    let r = Rest::spawn().await;
    let owner = r.owner_token().await;
    let (ann, _) = member(&r, "ann@example.com").await;
    let steps = [
        put(&r, &format!("people/{ann}"), &owner).json(&json!({"location": "Riga"})),
        put(&r, &format!("people/{ann}/email"), &owner).json(&json!({"email": "ann2@example.com"})),
        put(&r, &format!("people/{ann}/password"), &owner).json(&json!({"password": "another-pass-1"})),
        put(&r, "settings/security/administrator", &owner).json(&json!({"userid": ann, "administrator": true})),
        put(&r, "settings/security/administrator", &owner).json(&json!({"userid": ann, "administrator": false})),
        put(&r, "people/type/Visitor", &owner).json(&json!({"userIds": [ann]})),
        put(&r, "people/status/Terminated", &owner).json(&json!({"userIds": [ann]})),
        put(&r, "people/status/Active", &owner).json(&json!({"userIds": [ann]})),
        put(&r, "people/status/Terminated", &owner).json(&json!({"userIds": [ann]})),
        delete(&r, &format!("people/{ann}"), &owner),
    ];
    for step in steps {
        let (status, body) = send(step).await;
        response(status, &body, 200);
    }
    published_ids(&r.t, count_events(&r.t.pool).await).await;
    let js = jetstream::new(r.t.nats.clone());
    let prefix = &r.t.settings.nats_prefix;
    let stream = js.get_stream(format!("{prefix}-events")).await.unwrap();
    for what in [
        "updated",
        "emailchanged",
        "passwordchanged",
        "administratorgranted",
        "administratorrevoked",
        "typechanged",
        "terminated",
        "reactivated",
        "deleted",
    ] {
        let subject = format!("{prefix}.events.user.{what}");
        let message = stream.get_last_raw_message_by_subject(&subject).await;
        let message = message.unwrap_or_else(|e| panic!("nothing on {subject}: {e}"));
        let body: serde_json::Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(body["aggregateId"], json!(ann), "{subject}");
    }
    let changed = stream
        .get_last_raw_message_by_subject(&format!("{prefix}.events.user.passwordchanged"))
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&changed.payload).unwrap();
    assert_eq!(body["data"], json!({"UserPasswordChanged": {}}), "the hash is stripped");
    assert!(
        r.t.app
            .login("ann2@example.com", &secret("another-pass-1"))
            .await
            .is_err(),
        "deleted"
    );
}
