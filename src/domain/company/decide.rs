//! How a company decides the commands that follow its creation: each returns the events that say
//! exactly what changed (none when nothing does), or the rule it breaks.

use super::commands::{CompanyCommand, CompanyPatch};
use super::error::CompanyError;
use super::events::{CompanyChanges, CompanyEvent};
use super::record::CompanyRecord;
use crate::domain::contact::{self, access_change};
use crate::domain::contact_info;
use crate::domain::person::{ContactInfoRemoved, Deleted};
use crate::domain::values::{MAX_LINE, Patch, char_len, non_blank};

/// The events of `command` on the live company `r` (`Create` is decided by the aggregate itself).
pub(super) fn decide(r: &CompanyRecord, command: CompanyCommand) -> Result<Vec<CompanyEvent>, CompanyError> {
    match command {
        CompanyCommand::Create(_) => Err(CompanyError::AlreadyCreated),
        CompanyCommand::Update(patch) => update(r, &patch),
        CompanyCommand::SetAccess { share_type, managers } => {
            Ok(access_change(&r.access(), share_type, managers.as_deref())?
                .map(CompanyEvent::CompanyAccessChanged)
                .into_iter()
                .collect())
        }
        CompanyCommand::AddInfo(draft) => {
            contact_info::room_for_one(&r.info)?;
            let id = contact_info::next_id(&r.info, r.last_info_id);
            Ok(vec![CompanyEvent::CompanyContactInfoAdded(contact_info::decide(
                None, id, &draft,
            )?)])
        }
        CompanyCommand::ChangeInfo { id, draft } => {
            let base = contact_info::find(&r.info, id)?;
            let changed = contact_info::decide(Some(base), base.id, &draft)?;
            Ok((changed != *base)
                .then_some(CompanyEvent::CompanyContactInfoChanged(changed))
                .into_iter()
                .collect())
        }
        CompanyCommand::RemoveInfo { id } => {
            let info = contact_info::find(&r.info, id)?;
            Ok(vec![CompanyEvent::CompanyContactInfoRemoved(ContactInfoRemoved {
                id: info.id,
            })])
        }
        CompanyCommand::Delete => Ok(vec![CompanyEvent::CompanyDeleted(Deleted {})]),
    }
}

fn update(r: &CompanyRecord, p: &CompanyPatch) -> Result<Vec<CompanyEvent>, CompanyError> {
    let f = &r.fields;
    let mut c = CompanyChanges::default();
    match &p.company_name {
        Patch::Keep => {}
        Patch::Clear => return Err(CompanyError::CompanyNameRequired),
        Patch::Set(v) => {
            let name = non_blank(v).ok_or(CompanyError::CompanyNameRequired)?;
            if char_len(name) > MAX_LINE {
                return Err(CompanyError::CompanyNameTooLong);
            }
            c.company_name = (name != f.company_name).then(|| name.to_string());
        }
    }
    let now = (f.about.as_str(), f.custom_fields.as_slice(), f.photo.as_ref());
    let content = contact::content_changes(now, &p.about, p.custom_field_list.as_deref(), p.photo.as_ref())?;
    (c.about, c.custom_fields, c.photo) = (content.about, content.custom_fields, content.photo);
    let mut events = Vec::new();
    if !c.is_empty() {
        // The record after the change must still fit in one event (docs: the Limits table).
        let mut next = r.clone();
        next.apply(CompanyEvent::CompanyUpdated(c.clone()));
        next.fields.check_size()?;
        events.push(CompanyEvent::CompanyUpdated(c));
    }
    if let Some(access) = access_change(&r.access(), p.share_type, p.manager_list.as_deref())? {
        events.push(CompanyEvent::CompanyAccessChanged(access));
    }
    Ok(events)
}
