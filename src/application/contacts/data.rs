//! Contact data of CRM persons and companies (`crm/contact/{id}/data`): entries added, changed and
//! removed as changes of their contact, and the contacts found by an entry's value.

use serde::Serialize;

use super::{Expect, Kind};
use crate::application::visibility::{crm_viewer, person_for};
use crate::application::{Actor, App, AppError, Contact, RequestMeta};
use crate::domain::company::{Company, CompanyCommand};
use crate::domain::contact_info::{ContactInfo, ContactInfoDraft, InfoType};
use crate::domain::person::{Person, PersonCommand};
use crate::read_model::{companies, persons};

impl App {
    /// `GET crm/contact/bycontactinfo`: the contacts holding a value of `info_type` (any value when
    /// `data` is absent), optionally of a category and primary or not.
    pub async fn contacts_by_info(
        &self,
        actor: &Actor,
        info_type: InfoType,
        data: Option<&str>,
        category: Option<i32>,
        is_primary: Option<bool>,
    ) -> Result<Vec<Contact>, AppError> {
        let mut entry = serde_json::json!({ "info_type": info_type });
        if let Some(data) = data {
            entry["data"] = data.trim().into();
        }
        if let Some(category) = category {
            entry["category"] = category.into();
        }
        if let Some(primary) = is_primary {
            entry["is_primary"] = primary.into();
        }
        let probe = serde_json::Value::Array(vec![entry]);
        let viewer = crm_viewer(actor)?;
        let mut found: Vec<Contact> = companies::with_info(self.pool(), &probe, viewer)
            .await?
            .into_iter()
            .map(Contact::Company)
            .collect();
        found.extend(
            persons::with_info(self.pool(), &probe, viewer)
                .await?
                .into_iter()
                .filter_map(|p| person_for(actor, p))
                .map(Contact::Person),
        );
        found.sort_by_key(|c| match c {
            Contact::Person(p) => p.id,
            Contact::Company(c) => c.id,
        });
        Ok(found)
    }

    /// `GET crm/contact/{id}/data`: the contact's data, in the order it was added.
    pub async fn contact_data(&self, actor: &Actor, id: i64) -> Result<Vec<ContactInfo>, AppError> {
        Ok(match self.get_contact(actor, id).await? {
            Contact::Person(p) => p.common_data,
            Contact::Company(c) => c.common_data,
        })
    }

    /// `POST crm/contact/{id}/data`: the entry added, and the contact's version.
    pub async fn add_contact_data(
        &self,
        meta: &RequestMeta,
        id: i64,
        draft: ContactInfoDraft,
        expect: Expect,
    ) -> Result<(ContactInfo, i64), AppError> {
        let (info, added, version) = self
            .data_change(meta, id, "crm.contact.data.add", &draft, expect, |d| {
                (PersonCommand::AddInfo(d.clone()), CompanyCommand::AddInfo(d.clone()))
            })
            .await?;
        // An added entry gets the highest id the contact ever gave.
        let entry = info.into_iter().find(|i| i.id == added).ok_or(AppError::Conflict(
            "the entry was removed again before it could be read",
        ))?;
        Ok((entry, version))
    }

    /// `PUT crm/contact/{id}/data/{dataid}`: the entry as changed, and the contact's version.
    pub async fn change_contact_data(
        &self,
        meta: &RequestMeta,
        id: i64,
        data_id: i64,
        draft: ContactInfoDraft,
        expect: Expect,
    ) -> Result<(ContactInfo, i64), AppError> {
        let (info, _, version) = self
            .data_change(
                meta,
                id,
                "crm.contact.data.change",
                &(data_id, &draft),
                expect,
                |(d, draft)| {
                    (
                        PersonCommand::ChangeInfo {
                            id: *d,
                            draft: (*draft).clone(),
                        },
                        CompanyCommand::ChangeInfo {
                            id: *d,
                            draft: (*draft).clone(),
                        },
                    )
                },
            )
            .await?;
        let entry = info
            .into_iter()
            .find(|i| i64::from(i.id) == data_id)
            .ok_or(AppError::NotFound("contact data"))?;
        Ok((entry, version))
    }

    /// `DELETE crm/contact/{id}/data/{dataid}`: the entry removed, and the contact's version.
    pub async fn remove_contact_data(
        &self,
        meta: &RequestMeta,
        id: i64,
        data_id: i64,
        expect: Expect,
    ) -> Result<(ContactInfo, i64), AppError> {
        let entry = self
            .contact_data(&meta.actor, id)
            .await?
            .into_iter()
            .find(|i| i64::from(i.id) == data_id);
        let (_, _, version) = self
            .data_change(meta, id, "crm.contact.data.remove", &data_id, expect, |d| {
                (
                    PersonCommand::RemoveInfo { id: *d },
                    CompanyCommand::RemoveInfo { id: *d },
                )
            })
            .await?;
        Ok((entry.ok_or(AppError::NotFound("contact data"))?, version))
    }

    /// One change of a contact's data, whichever kind the contact is; its data afterwards, the highest
    /// entry id it ever gave, and the version the change made.
    async fn data_change<C: Serialize>(
        &self,
        meta: &RequestMeta,
        id: i64,
        name: &'static str,
        content: &C,
        expect: Expect,
        commands: impl Fn(&C) -> (PersonCommand, CompanyCommand),
    ) -> Result<(Vec<ContactInfo>, i32, i64), AppError> {
        let (person, company) = commands(content);
        match self.kind(id).await? {
            Kind::Person => {
                let decided = self
                    .change::<Person>(meta, name, id, person, content, None, expect)
                    .await?;
                let (last, version) = (
                    decided.aggregate.record().map_or(0, |r| r.last_info_id),
                    decided.version,
                );
                let view = self.person_answer(&meta.actor, id, decided).await?;
                Ok((view.common_data, last, version))
            }
            Kind::Company => {
                let decided = self
                    .change::<Company>(meta, name, id, company, content, None, expect)
                    .await?;
                let (last, version) = (
                    decided.aggregate.record().map_or(0, |r| r.last_info_id),
                    decided.version,
                );
                let view = self.company_answer(&meta.actor, id, decided).await?;
                Ok((view.common_data, last, version))
            }
        }
    }
}
