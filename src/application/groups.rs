//! Groups (departments), ONLYOFFICE's `api/2.0/group`: admins (and the owner) create, rename, set the
//! manager, add, replace and remove members, and delete; every signed-in user reads them, visitors
//! included (ONLYOFFICE's group routes demand no right to read, and every user wrapper shows its
//! groups anyway). A user's `department` joins the named groups that exist, in the statement that
//! creates the user (`store::execute_with`); see `domain::group` for why membership lives on the
//! group's stream.

use std::collections::BTreeSet;

use serde::Serialize;
use tracing::instrument;
use uuid::Uuid;

use super::commands::now;
use super::store::{Decided, Order, Outcome, Stream};
use super::{Actor, App, AppError, Expect, RequestMeta};
use crate::domain::group::{CreateGroup, Group, GroupCommand, GroupDraft, GroupError, GroupPatch};
use crate::domain::user::User;
use crate::domain::values::Patch;
use crate::read_model::groups::{self, GroupRef, GroupView};
use crate::read_model::users;

const CREATE: &str = "people.group.create";
const UPDATE: &str = "people.group.update";
const DELETE: &str = "people.group.delete";
const ADD: &str = "people.group.members.add";
const REMOVE: &str = "people.group.members.remove";

impl Stream for Group {
    fn already_created(e: &GroupError) -> bool {
        *e == GroupError::AlreadyCreated
    }

    /// Only admins and the owner change groups; a group that is gone is not found.
    fn permits(&self, actor: &Actor) -> Result<(), AppError> {
        self.live().ok_or(AppError::NotFound("group"))?;
        may_edit_groups(actor)
    }
}

/// ONLYOFFICE's `Action_EditGroups`: portal admins and the owner.
fn may_edit_groups(actor: &Actor) -> Result<(), AppError> {
    if actor.is_admin || actor.is_owner {
        Ok(())
    } else {
        Err(AppError::Forbidden("only administrators can change groups"))
    }
}

impl App {
    /// `POST group`: a group named `name`, headed by `manager` (who is made a member), with `members`.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, source = meta.source.as_str()))]
    pub async fn create_group(&self, meta: &RequestMeta, draft: GroupDraft) -> Result<GroupView, AppError> {
        self.observed(meta, CREATE, self.group_created(meta, draft)).await
    }

    async fn group_created(&self, meta: &RequestMeta, draft: GroupDraft) -> Result<GroupView, AppError> {
        may_edit_groups(&meta.actor)?;
        let known = self.known_users(draft.manager.iter().chain(&draft.members)).await?;
        let content = serde_json::to_vec(&draft).map_err(AppError::internal)?;
        let target = self
            .target(meta, CREATE, &[&content], Uuid::new_v4().to_string())
            .await?;
        let id: Uuid = target
            .id
            .parse()
            .map_err(|_| AppError::Internal("corrupt idempotency row".into()))?;
        let command = GroupCommand::Create(CreateGroup {
            id,
            draft,
            known,
            created_by: meta.actor.id,
            created_at: now(),
        });
        let order = Order {
            id: target.id.clone(),
            command,
            meta: meta.clone(),
            keyed: target.keyed,
            fresh: !target.replay,
            photo: None,
            expected: None,
            authorize: false,
            key: None,
            claim: None,
        };
        let decided = self.execute(&(), order).await?;
        tracing::info!(group_id = %id, keyed = target.keyed, "group created");
        self.group_answer(id, decided).await
    }

    /// `PUT group/{id}`: a new name, manager (set, or cleared) and members (replaced; the manager stays
    /// one); what the patch leaves out keeps its value.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, group_id = %id))]
    pub async fn update_group(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        patch: GroupPatch,
        expect: Expect,
    ) -> Result<GroupView, AppError> {
        let manager = match patch.manager {
            Patch::Set(m) => Some(m),
            Patch::Keep | Patch::Clear => None,
        };
        let named = manager.iter().chain(patch.members.iter().flatten());
        let known = self.known_users(named).await?;
        let command = GroupCommand::Update {
            patch: patch.clone(),
            known,
        };
        let decided = self.group_change(meta, UPDATE, id, command, &patch, expect).await?;
        self.group_answer(id, decided).await
    }

    /// `PUT group/{id}/manager`: `manager` heads the group (and is made a member).
    pub async fn set_group_manager(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        manager: Uuid,
        expect: Expect,
    ) -> Result<GroupView, AppError> {
        let patch = GroupPatch {
            manager: Patch::Set(manager),
            ..GroupPatch::default()
        };
        self.update_group(meta, id, patch, expect).await
    }

    /// `POST group/{id}/members`: the members become exactly `members` (and the manager).
    pub async fn set_group_members(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        members: Vec<Uuid>,
        expect: Expect,
    ) -> Result<GroupView, AppError> {
        let patch = GroupPatch {
            members: Some(members),
            ..GroupPatch::default()
        };
        self.update_group(meta, id, patch, expect).await
    }

    /// `PUT group/{id}/members`: `members` join the group (each must be a user).
    pub async fn add_group_members(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        members: Vec<Uuid>,
        expect: Expect,
    ) -> Result<GroupView, AppError> {
        let known = self.known_users(&members).await?;
        let command = GroupCommand::AddMembers {
            members: members.clone(),
            known,
        };
        let decided = self.group_change(meta, ADD, id, command, &members, expect).await?;
        self.group_answer(id, decided).await
    }

    /// `DELETE group/{id}/members`: `members` leave the group (anyone else named is ignored); a
    /// manager who leaves stops being the manager.
    pub async fn remove_group_members(
        &self,
        meta: &RequestMeta,
        id: Uuid,
        members: Vec<Uuid>,
        expect: Expect,
    ) -> Result<GroupView, AppError> {
        let command = GroupCommand::RemoveMembers {
            members: members.clone(),
        };
        let decided = self.group_change(meta, REMOVE, id, command, &members, expect).await?;
        self.group_answer(id, decided).await
    }

    /// `DELETE group/{id}`: the group as it was (at its new version); afterwards it is not found, and
    /// in no user's groups.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, group_id = %id))]
    pub async fn delete_group(&self, meta: &RequestMeta, id: Uuid, expect: Expect) -> Result<GroupView, AppError> {
        let before = groups::get(self.pool(), id).await?;
        let decided = self
            .group_change(meta, DELETE, id, GroupCommand::Delete, &(), expect)
            .await?;
        let gone = || async { Ok(groups::version(self.pool(), id).await?.is_none().then_some(())) };
        self.projected(gone).await?;
        let view = match before {
            Some(view) => view,
            None => self.group_from_record(&decided).await?,
        };
        Ok(GroupView {
            version: decided.version,
            ..view
        })
    }

    /// `GET group/{id}`.
    pub async fn get_group(&self, _actor: &Actor, id: Uuid) -> Result<GroupView, AppError> {
        groups::get(self.pool(), id).await?.ok_or(AppError::NotFound("group"))
    }

    /// `GET group`: every group, by name.
    pub async fn list_groups(&self, _actor: &Actor) -> Result<Vec<GroupRef>, AppError> {
        Ok(groups::list(self.pool(), None).await?)
    }

    /// `GET group/user/{userid}`: the groups the user is in, by name.
    pub async fn user_groups(&self, _actor: &Actor, user: Uuid) -> Result<Vec<GroupRef>, AppError> {
        users::get(self.pool(), user).await?.ok_or(AppError::NotFound("user"))?;
        Ok(groups::list(self.pool(), Some(user)).await?)
    }

    /// What a created user's `department` makes: the user joins each named group that exists when the
    /// create is decided (an order on a GUID that names no live group is refused by the group and left
    /// out, which is how unknown GUIDs are ignored). Appended with the user's create.
    pub(super) fn department_orders(&self, meta: &RequestMeta, user: Uuid, department: &[Uuid]) -> Vec<Order<Group>> {
        // The user's create is what the idempotency key names, not these joins.
        let meta = RequestMeta {
            idempotency_key: None,
            ..meta.clone()
        };
        let groups: BTreeSet<Uuid> = department.iter().copied().collect();
        groups
            .into_iter()
            .map(|group| {
                let command = GroupCommand::AddMembers {
                    members: vec![user],
                    known: BTreeSet::from([user]),
                };
                Order {
                    authorize: false,
                    ..Order::change(group.to_string(), command, &meta)
                }
            })
            .collect()
    }

    /// What `department` on `PUT people/{userid}` makes: the user leaves the groups the read model shows
    /// them in that it does not name, and joins each it names that exists. Decided with the caller's
    /// rights: a caller who may not change groups changes none (ignored, as ONLYOFFICE does).
    pub(super) async fn department_changes(
        &self,
        meta: &RequestMeta,
        user: Uuid,
        department: &[Uuid],
    ) -> Result<Vec<Order<Group>>, AppError> {
        let named: BTreeSet<Uuid> = department.iter().copied().collect();
        let current = groups::list(self.pool(), Some(user)).await?;
        let leave = current
            .iter()
            .filter(|g| !named.contains(&g.id))
            .map(|g| (g.id, GroupCommand::RemoveMembers { members: vec![user] }));
        let join = named.iter().map(|g| {
            (
                *g,
                GroupCommand::AddMembers {
                    members: vec![user],
                    known: BTreeSet::from([user]),
                },
            )
        });
        let meta = RequestMeta {
            idempotency_key: None,
            ..meta.clone()
        };
        Ok(leave
            .chain(join)
            .map(|(group, command)| Order::change(group.to_string(), command, &meta))
            .collect())
    }

    /// Waits until the read model shows each group a user's create or change joined or left
    /// (read-your-writes for the user's `Groups`).
    pub(super) async fn groups_projected(&self, joined: &[Outcome<Group>]) -> Result<(), AppError> {
        for decided in joined.iter().flatten() {
            let Some(r) = decided.aggregate.live() else { continue };
            let (id, version) = (r.id, decided.version);
            let reached = || async { Ok(groups::version(self.pool(), id).await?.filter(|v| *v >= version)) };
            self.projected(reached).await?;
        }
        Ok(())
    }

    /// Decides and appends one change of group `id`, admins only, with the caller's rights checked on
    /// the state it is decided on; `content` is what the idempotency key's fingerprint covers.
    async fn group_change(
        &self,
        meta: &RequestMeta,
        name: &'static str,
        id: Uuid,
        command: GroupCommand,
        content: &impl Serialize,
        expect: Expect,
    ) -> Result<Decided<Group>, AppError> {
        let work = async {
            may_edit_groups(&meta.actor)?;
            let key = self.key_check(meta, name, &id.to_string(), || {
                serde_json::to_vec(content).map_err(AppError::internal)
            })?;
            let order = Order {
                expected: expect.version,
                key,
                ..Order::change(id.to_string(), command, meta)
            };
            self.execute(&(), order).await
        };
        self.observed(meta, name, work).await
    }

    /// The users among `ids` that exist, from the event store.
    async fn known_users<'a>(&self, ids: impl IntoIterator<Item = &'a Uuid>) -> Result<BTreeSet<Uuid>, AppError> {
        let wanted: BTreeSet<String> = ids.into_iter().map(Uuid::to_string).collect();
        let wanted: Vec<String> = wanted.into_iter().collect();
        let found = self.load_all::<User>(&wanted).await?;
        // A deleted user is no user: only live ones may join or head a group.
        Ok(found
            .values()
            .filter_map(|d| d.aggregate.live())
            .map(|r| r.id)
            .collect())
    }

    /// The group once the read model shows `decided` (read-your-writes), else built from its events.
    async fn group_answer(&self, id: Uuid, decided: Decided<Group>) -> Result<GroupView, AppError> {
        let version = decided.version;
        let reached = || async { Ok(groups::get(self.pool(), id).await?.filter(|v| v.version >= version)) };
        match self.projected(reached).await? {
            Some(view) => Ok(view),
            None => self.group_from_record(&decided).await,
        }
    }

    async fn group_from_record(&self, decided: &Decided<Group>) -> Result<GroupView, AppError> {
        let r = decided.aggregate.record().ok_or(AppError::NotFound("group"))?;
        let ids: Vec<Uuid> = r.manager.iter().chain(&r.members).copied().collect();
        let people = users::creators(self.pool(), &ids).await?;
        Ok(GroupView::from_record(r, decided.version, &people))
    }
}
