//! How a person decides the commands that follow its creation: each returns the events that say
//! exactly what changed (none when nothing does), or the rule it breaks.

use super::commands::{PersonCommand, PersonPatch};
use super::error::PersonError;
use super::events::{CompanyLink, ContactInfoRemoved, Deleted, PersonChanges, PersonEvent};
use super::record::PersonRecord;
use crate::domain::contact::{self, access_change};
use crate::domain::contact_info::{self, ContactInfoDraft};
use crate::domain::values::{MAX_LINE, Patch, char_len, non_blank};

/// The events of `command` on the live person `r` (`Create` is decided by the aggregate itself).
pub(super) fn decide(r: &PersonRecord, command: PersonCommand) -> Result<Vec<PersonEvent>, PersonError> {
    match command {
        PersonCommand::Create(_) => Err(PersonError::AlreadyCreated),
        PersonCommand::Update(patch) => update(r, &patch),
        PersonCommand::LinkToCompany { company_id } => Ok(link(r, company_id)?.into_iter().collect()),
        PersonCommand::UnlinkFromCompany { company_id } => Ok((r.fields.company_id == Some(company_id))
            .then_some(PersonEvent::PersonUnlinkedFromCompany(CompanyLink { company_id }))
            .into_iter()
            .collect()),
        PersonCommand::SetAccess { share_type, managers } => {
            Ok(access_change(&r.access(), share_type, managers.as_deref())?
                .map(PersonEvent::PersonAccessChanged)
                .into_iter()
                .collect())
        }
        PersonCommand::AddInfo(draft) => add_info(r, &draft).map(|e| vec![e]),
        PersonCommand::ChangeInfo { id, draft } => change_info(r, id, &draft),
        PersonCommand::RemoveInfo { id } => {
            let info = contact_info::find(&r.info, id)?;
            Ok(vec![PersonEvent::PersonContactInfoRemoved(ContactInfoRemoved {
                id: info.id,
            })])
        }
        PersonCommand::Delete => Ok(vec![PersonEvent::PersonDeleted(Deleted {})]),
    }
}

fn update(r: &PersonRecord, p: &PersonPatch) -> Result<Vec<PersonEvent>, PersonError> {
    let f = &r.fields;
    let mut c = PersonChanges::default();
    match &p.first_name {
        Patch::Keep => {}
        Patch::Clear => return Err(PersonError::FirstNameRequired),
        Patch::Set(v) => {
            non_blank(v).ok_or(PersonError::FirstNameRequired)?;
            if char_len(v) > MAX_LINE {
                return Err(PersonError::FirstNameTooLong);
            }
            c.first_name = (*v != f.first_name).then(|| v.clone());
        }
    }
    match &p.last_name {
        Patch::Keep => {}
        Patch::Clear => return Err(PersonError::LastNameRequired),
        Patch::Set(v) => {
            non_blank(v).ok_or(PersonError::LastNameRequired)?;
            if char_len(v) > MAX_LINE {
                return Err(PersonError::LastNameTooLong);
            }
            c.last_name = (*v != f.last_name).then(|| v.clone());
        }
    }
    let title = match &p.job_title {
        Patch::Keep => None,
        Patch::Clear => Some(None),
        Patch::Set(v) => match non_blank(v) {
            Some(t) if char_len(t) > MAX_LINE => return Err(PersonError::JobTitleTooLong),
            t => Some(t.map(str::to_string)),
        },
    };
    c.title = title.filter(|t| *t != f.title).map(Option::unwrap_or_default);
    let now = (f.about.as_str(), f.custom_fields.as_slice(), f.photo.as_ref());
    let content = contact::content_changes(now, &p.about, p.custom_field_list.as_deref(), p.photo.as_ref())?;
    (c.about, c.custom_fields, c.photo) = (content.about, content.custom_fields, content.photo);

    let mut events = Vec::new();
    if !c.is_empty() {
        // The record after the change must still fit in one event (docs: the Limits table).
        let mut next = r.clone();
        next.apply(PersonEvent::PersonUpdated(c.clone()));
        next.fields.check_size()?;
        events.push(PersonEvent::PersonUpdated(c));
    }
    match p.company_id {
        Patch::Keep => {}
        Patch::Clear => events.extend(
            f.company_id
                .map(|company_id| PersonEvent::PersonUnlinkedFromCompany(CompanyLink { company_id })),
        ),
        Patch::Set(id) => events.extend(link(r, id)?),
    }
    if let Some(access) = access_change(&r.access(), p.share_type, p.manager_list.as_deref())? {
        events.push(PersonEvent::PersonAccessChanged(access));
    }
    Ok(events)
}

fn link(r: &PersonRecord, company_id: i64) -> Result<Option<PersonEvent>, PersonError> {
    if company_id <= 0 {
        return Err(PersonError::CompanyIdInvalid);
    }
    Ok((r.fields.company_id != Some(company_id))
        .then_some(PersonEvent::PersonLinkedToCompany(CompanyLink { company_id })))
}

fn add_info(r: &PersonRecord, draft: &ContactInfoDraft) -> Result<PersonEvent, PersonError> {
    contact_info::room_for_one(&r.info)?;
    let id = contact_info::next_id(&r.info, r.last_info_id);
    Ok(PersonEvent::PersonContactInfoAdded(contact_info::decide(
        None, id, draft,
    )?))
}

fn change_info(r: &PersonRecord, id: i64, draft: &ContactInfoDraft) -> Result<Vec<PersonEvent>, PersonError> {
    let base = contact_info::find(&r.info, id)?;
    let changed = contact_info::decide(Some(base), base.id, draft)?;
    Ok((changed != *base)
        .then_some(PersonEvent::PersonContactInfoChanged(changed))
        .into_iter()
        .collect())
}
