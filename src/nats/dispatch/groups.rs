//! Runs the group commands of `people.group.*` and answers as REST does (201 for a create, 200 for a
//! change, a deleted group without its members).

use super::Created;
use crate::application::{App, AppError, RequestMeta};
use crate::nats::codec::{GroupChange, Target};

/// Runs a `people.group.*` command.
pub async fn run(app: &App, meta: &RequestMeta, change: GroupChange) -> Result<Created, AppError> {
    let answer = |status, members| {
        move |view| Created::Group {
            view: Box::new(view),
            status,
            members,
        }
    };
    match change {
        GroupChange::Create(draft) => app.create_group(meta, draft).await.map(answer(201, true)),
        GroupChange::Update(Target { id, expect, content }) => {
            app.update_group(meta, id, content, expect).await.map(answer(200, true))
        }
        GroupChange::Delete(Target { id, expect, .. }) => {
            app.delete_group(meta, id, expect).await.map(answer(200, false))
        }
        GroupChange::AddMembers(Target { id, expect, content }) => app
            .add_group_members(meta, id, content, expect)
            .await
            .map(answer(200, true)),
        GroupChange::RemoveMembers(Target { id, expect, content }) => app
            .remove_group_members(meta, id, content, expect)
            .await
            .map(answer(200, true)),
    }
}
