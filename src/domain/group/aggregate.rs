//! The Group aggregate: decides group commands and folds group events.

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::{self, GroupCommand};
use super::decide::decide;
use super::error::GroupError;
use super::events::{GroupCreated, GroupEvent};
use super::record::GroupRecord;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Group {
    record: Option<GroupRecord>,
}

impl Group {
    /// The group as its events make it, `None` before it exists (also once deleted: see `deleted`).
    pub fn record(&self) -> Option<&GroupRecord> {
        self.record.as_ref()
    }

    /// The group unless it does not exist or was deleted.
    pub fn live(&self) -> Option<&GroupRecord> {
        self.record.as_ref().filter(|r| !r.deleted)
    }
}

impl Aggregate for Group {
    const TYPE: &'static str = "Group";
    type Command = GroupCommand;
    type Event = GroupEvent;
    type Error = GroupError;
    type Services = ();

    async fn handle(&mut self, command: Self::Command, _: &(), sink: &EventSink<Self>) -> Result<(), Self::Error> {
        let events = match command {
            GroupCommand::Create(cmd) => {
                if self.record.is_some() {
                    return Err(GroupError::AlreadyCreated);
                }
                let name = commands::name(cmd.draft.name.as_deref())?;
                let manager = cmd
                    .draft
                    .manager
                    .map(|m| commands::manager(m, &cmd.known))
                    .transpose()?;
                let named: Vec<_> = manager.into_iter().chain(cmd.draft.members).collect();
                let members = commands::members(&named, &Default::default(), &cmd.known)?;
                vec![GroupEvent::GroupCreated(GroupCreated {
                    id: cmd.id,
                    name,
                    manager,
                    members,
                    created_by: cmd.created_by,
                    created_at: cmd.created_at,
                })]
            }
            command => decide(self.live().ok_or(GroupError::NotFound)?, command)?,
        };
        for event in events {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match (&mut self.record, event) {
            (_, GroupEvent::GroupCreated(created)) => self.record = Some(GroupRecord::created(created)),
            (Some(record), event) => record.apply(event),
            (None, event) => tracing::warn!(?event, "a group event before the group was created; ignored"),
        }
    }
}
