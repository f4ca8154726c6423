//! Runs the user changes of `people.user.*` (`userid` resolved as REST resolves its path: a GUID, or
//! a user name looked up for the caller) and answers as REST does.

use serde_json::json;
use uuid::Uuid;

use super::Created;
use crate::application::{App, AppError, RequestMeta, UserView};
use crate::nats::codec::{UserChange, UserTarget};
use crate::wire::output::{self, Envelope};

/// What a user change answers.
pub enum Answer {
    /// One user as the change left them (a deleted one as they were).
    One(Box<UserView>),
    /// The users a change of many set.
    Many(Vec<UserView>),
    /// ONLYOFFICE's `SecurityWrapper` of the user whose rights changed.
    Administrator(Box<UserView>),
}

impl Answer {
    pub fn envelope(&self) -> Envelope {
        match self {
            Answer::One(view) => Envelope::single(200, output::user(view)),
            Answer::Many(views) => {
                let items: Vec<_> = views
                    .iter()
                    .map(|v| serde_json::to_value(output::user(v)).unwrap_or_default())
                    .collect();
                let total = items.len() as i64;
                Envelope::list(200, items, 0, total)
            }
            Answer::Administrator(view) => Envelope::single(
                200,
                json!({"ProductId": Uuid::nil(), "UserId": view.id, "Administrator": view.is_admin}),
            ),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Answer::One(view) | Answer::Administrator(view) => {
                format!("user {} at version {}", view.id, view.version)
            }
            Answer::Many(views) => format!("{} users", views.len()),
        }
    }
}

async fn target(app: &App, meta: &RequestMeta, user: &str) -> Result<Uuid, AppError> {
    app.user_id(&meta.actor, user).await
}

/// Runs a `people.user.*` change.
pub async fn run(app: &App, meta: &RequestMeta, change: UserChange) -> Result<Created, AppError> {
    let one = |view| Created::UserChanged(Answer::One(Box::new(view)));
    Ok(match change {
        UserChange::Update(UserTarget { user, expect, content }) => {
            let id = target(app, meta, &user).await?;
            one(app.update_user(meta, id, *content, expect).await?)
        }
        UserChange::Status(ids, status) => {
            Created::UserChanged(Answer::Many(app.set_user_status(meta, &ids, status).await?))
        }
        UserChange::Type(ids, user_type) => {
            Created::UserChanged(Answer::Many(app.set_user_type(meta, &ids, user_type).await?))
        }
        UserChange::Email(UserTarget { user, expect, content }) => {
            let id = target(app, meta, &user).await?;
            one(app.change_user_email(meta, id, &content, expect).await?)
        }
        UserChange::Password(UserTarget { user, expect, content }) => {
            let id = target(app, meta, &user).await?;
            one(app.change_user_password(meta, id, content, expect).await?)
        }
        UserChange::Delete(UserTarget { user, expect, .. }) => {
            let id = target(app, meta, &user).await?;
            one(app.delete_user(meta, id, expect).await?)
        }
        UserChange::Administrator(UserTarget { user, expect, content }) => {
            let id = target(app, meta, &user).await?;
            let view = app.set_administrator(meta, id, content, expect).await?;
            Created::UserChanged(Answer::Administrator(Box::new(view)))
        }
    })
}
