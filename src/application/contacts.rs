//! Changing CRM contacts: update, link and unlink, access and delete (contact data in `data`). Each
//! change is decided by the contact's aggregate on its current state, after the caller's rights are
//! checked on that same state; a change may expect a version (412 otherwise) and carry an idempotency
//! key.

use std::future::Future;

use serde::Serialize;
use tracing::instrument;
use uuid::Uuid;

mod data;

use super::gather_changes::Gathered;
use super::store::{Decided, Order};
use super::visibility::{company_shown_to, viewer_of};
use super::{Actor, App, AppError, Contact, PhotoUpload, RequestMeta};
use crate::domain::company::{Company, CompanyCommand, CompanyPatch};
use crate::domain::person::{Person, PersonCommand, PersonPatch};
use crate::domain::values::{Patch, ShareType};
use crate::persistence::events::NewPhoto;
use crate::read_model::companies::{self, CompanyView};
use crate::read_model::persons::{self, Creator, PersonView};
use crate::read_model::{Viewer, users};

/// What a change asks of the record it changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expect {
    /// The version the record must be at (`If-Match`, `expected_version`), `None` for any.
    pub version: Option<i64>,
}

impl Expect {
    pub fn version(version: Option<i64>) -> Expect {
        Expect { version }
    }
}

/// Which aggregate a contact id names.
enum Kind {
    Person,
    Company,
}

impl App {
    /// `PUT crm/contact/person/{id}`: what the patch leaves out keeps its value.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, person_id = id))]
    pub async fn update_person(
        &self,
        meta: &RequestMeta,
        id: i64,
        mut patch: PersonPatch,
        photo: Option<PhotoUpload>,
        expect: Expect,
    ) -> Result<PersonView, AppError> {
        let photo = PhotoUpload::attach(photo, &mut patch.photo)?;
        match patch.company_id {
            Patch::Keep => {}
            Patch::Set(company) => {
                self.require_visible_company(&meta.actor, company).await?;
                self.require_leaving_visible_company(&meta.actor, id, Some(company))
                    .await?;
            }
            Patch::Clear => self.require_leaving_visible_company(&meta.actor, id, None).await?,
        }
        let command = PersonCommand::Update(patch.clone());
        let decided = self
            .change::<Person>(meta, "crm.person.update", id, command, &patch, photo, expect)
            .await?;
        self.person_answer(&meta.actor, id, decided).await
    }

    /// `PUT crm/contact/company/{id}`: what the patch leaves out keeps its value.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, company_id = id))]
    pub async fn update_company(
        &self,
        meta: &RequestMeta,
        id: i64,
        mut patch: CompanyPatch,
        photo: Option<PhotoUpload>,
        expect: Expect,
    ) -> Result<CompanyView, AppError> {
        let photo = PhotoUpload::attach(photo, &mut patch.photo)?;
        let command = CompanyCommand::Update(patch.clone());
        let decided = self
            .change::<Company>(meta, "crm.company.update", id, command, &patch, photo, expect)
            .await?;
        self.company_answer(&meta.actor, id, decided).await
    }

    /// `POST crm/contact/company/{companyid}/person`: links (or moves) the person to the company.
    pub async fn link_person(
        &self,
        meta: &RequestMeta,
        company_id: i64,
        person_id: i64,
        expect: Expect,
    ) -> Result<PersonView, AppError> {
        self.require_visible_company(&meta.actor, company_id).await?;
        self.require_leaving_visible_company(&meta.actor, person_id, Some(company_id))
            .await?;
        let command = PersonCommand::LinkToCompany { company_id };
        let decided = self
            .change::<Person>(meta, "crm.person.link", person_id, command, &company_id, None, expect)
            .await?;
        self.person_answer(&meta.actor, person_id, decided).await
    }

    /// `DELETE crm/contact/company/{companyid}/person`: a person not linked to it stays as it is; an
    /// unknown company, or one the caller may not see, is 404.
    pub async fn unlink_person(
        &self,
        meta: &RequestMeta,
        company_id: i64,
        person_id: i64,
        expect: Expect,
    ) -> Result<PersonView, AppError> {
        self.require_visible_company(&meta.actor, company_id).await?;
        let command = PersonCommand::UnlinkFromCompany { company_id };
        let decided = self
            .change::<Person>(meta, "crm.person.unlink", person_id, command, &company_id, None, expect)
            .await?;
        self.person_answer(&meta.actor, person_id, decided).await
    }

    /// `PUT crm/contact/{id}/access`: who may see and change the contact.
    pub async fn set_contact_access(
        &self,
        meta: &RequestMeta,
        id: i64,
        share_type: Option<ShareType>,
        managers: Option<Vec<Uuid>>,
        expect: Expect,
    ) -> Result<Contact, AppError> {
        let content = (share_type.map(ShareType::code), &managers);
        match self.kind(id).await? {
            Kind::Person => {
                let command = PersonCommand::SetAccess {
                    share_type,
                    managers: managers.clone(),
                };
                let decided = self
                    .change::<Person>(meta, "crm.contact.access", id, command, &content, None, expect)
                    .await?;
                Ok(Contact::Person(self.person_answer(&meta.actor, id, decided).await?))
            }
            Kind::Company => {
                let command = CompanyCommand::SetAccess {
                    share_type,
                    managers: managers.clone(),
                };
                let decided = self
                    .change::<Company>(meta, "crm.contact.access", id, command, &content, None, expect)
                    .await?;
                Ok(Contact::Company(self.company_answer(&meta.actor, id, decided).await?))
            }
        }
    }

    /// `DELETE crm/contact/{id}`: the contact as it was; a deleted company's persons are unlinked.
    #[instrument(skip_all, fields(correlation_id = %meta.correlation_id, contact_id = id))]
    pub async fn delete_contact(&self, meta: &RequestMeta, id: i64, expect: Expect) -> Result<Contact, AppError> {
        let before = self.get_contact(&meta.actor, id).await.ok();
        match self.kind(id).await? {
            Kind::Person => {
                let decided = self
                    .change::<Person>(meta, "crm.contact.delete", id, PersonCommand::Delete, &(), None, expect)
                    .await?;
                self.projected(|| async { Ok(persons::get(self.pool(), id).await?.is_none().then_some(())) })
                    .await?;
                let view = match before {
                    Some(Contact::Person(view)) => view,
                    _ => company_shown_to(&meta.actor, from_record(&decided, PersonView::from_record, "person")?),
                };
                Ok(Contact::Person(PersonView {
                    version: decided.version,
                    ..view
                }))
            }
            Kind::Company => {
                let decided = self
                    .change::<Company>(
                        meta,
                        "crm.contact.delete",
                        id,
                        CompanyCommand::Delete,
                        &(),
                        None,
                        expect,
                    )
                    .await?;
                self.unlink_all(meta, id).await?;
                self.projected(|| async {
                    Ok(companies::get(self.pool(), id, Viewer::Admin)
                        .await?
                        .is_none()
                        .then_some(()))
                })
                .await?;
                let view = match before {
                    Some(Contact::Company(view)) => view,
                    _ => from_record(&decided, CompanyView::from_record, "company")?,
                };
                Ok(Contact::Company(CompanyView {
                    version: decided.version,
                    ..view
                }))
            }
        }
    }

    /// `DeletePerson`: `delete_contact` of a person only (any other id is 404).
    pub async fn delete_person(&self, meta: &RequestMeta, id: i64, expect: Expect) -> Result<PersonView, AppError> {
        if let Kind::Person = self.kind(id).await?
            && let Contact::Person(view) = self.delete_contact(meta, id, expect).await?
        {
            return Ok(view);
        }
        Err(AppError::NotFound("person"))
    }

    /// `DeleteCompany`: `delete_contact` of a company only (any other id is 404).
    pub async fn delete_company(&self, meta: &RequestMeta, id: i64, expect: Expect) -> Result<CompanyView, AppError> {
        if let Kind::Company = self.kind(id).await?
            && let Contact::Company(view) = self.delete_contact(meta, id, expect).await?
        {
            return Ok(view);
        }
        Err(AppError::NotFound("company"))
    }

    /// `GET crm/contact/{id}/access`: a private contact's managers (an empty list for a shared one).
    pub async fn contact_access(&self, actor: &Actor, id: i64) -> Result<Vec<Creator>, AppError> {
        let (share, managers) = match self.get_contact(actor, id).await? {
            Contact::Person(p) => (p.share_type, p.managers),
            Contact::Company(c) => (c.share_type, c.managers),
        };
        if share != ShareType::None {
            return Ok(Vec::new());
        }
        Ok(users::creators(self.pool(), &managers).await?)
    }

    /// Decides and appends one change of contact `id`, with the caller's rights checked on the state
    /// it is decided on; `content` is what the idempotency key's fingerprint covers.
    #[allow(clippy::too_many_arguments)]
    async fn change<A>(
        &self,
        meta: &RequestMeta,
        name: &'static str,
        id: i64,
        command: A::Command,
        content: &impl Serialize,
        photo: Option<NewPhoto>,
        expect: Expect,
    ) -> Result<Decided<A>, AppError>
    where
        A: Gathered,
        AppError: From<A::Error>,
        A::Command: Clone + Send + Sync,
        A::Error: Send,
    {
        if meta.actor.is_visitor {
            return Err(AppError::Forbidden("visitors have no access to the CRM"));
        }
        if id <= 0 {
            return Err(super::RequestError::IdNotPositive.into());
        }
        let key = self.key_check(meta, name, &id.to_string(), || {
            serde_json::to_vec(content).map_err(AppError::internal)
        })?;
        let order = Order {
            photo,
            expected: expect.version,
            key,
            ..Order::change(id.to_string(), command, meta)
        };
        // Committed with the changes of other callers that arrive meanwhile (`gather_changes`).
        self.observed(meta, name, self.execute_gathered(order)).await
    }

    /// Unlinks every person the read model shows linked to a deleted company (each its own event).
    async fn unlink_all(&self, meta: &RequestMeta, company_id: i64) -> Result<(), AppError> {
        let linked = persons::of_company(self.pool(), company_id, Viewer::Admin).await?;
        let orders = linked
            .iter()
            .map(|p| Order {
                authorize: false,
                ..Order::change(p.id.to_string(), PersonCommand::UnlinkFromCompany { company_id }, meta)
            })
            .collect();
        for (person, outcome) in linked.iter().zip(self.execute_all::<Person>(&(), orders).await) {
            match outcome {
                // Read-your-writes: the company's persons read unlinked once the delete answers.
                Ok(decided) => {
                    self.person_answer(&meta.actor, person.id, decided).await?;
                }
                Err(e) => tracing::warn!(error = %e, company_id, "a person of a deleted company could not be unlinked"),
            }
        }
        Ok(())
    }

    /// Fails unless the company exists in the event store and the caller may see it.
    async fn require_visible_company(&self, actor: &Actor, id: i64) -> Result<(), AppError> {
        let company = self.load::<Company>(&id.to_string()).await?;
        match company.as_ref().and_then(|c| c.aggregate.live()) {
            Some(r) if actor.may_see(r.fields.share_type, &r.fields.managers) => Ok(()),
            _ => Err(AppError::NotFound("company")),
        }
    }

    /// Fails (404, as unlinking from it would) when a change of person `id` to `company` (`None`: no
    /// company) would take it away from a company the caller may not see. A person the caller may not
    /// see, or one without a company, is left to the change itself, which answers for it.
    async fn require_leaving_visible_company(
        &self,
        actor: &Actor,
        id: i64,
        company: Option<i64>,
    ) -> Result<(), AppError> {
        let person = self.load::<Person>(&id.to_string()).await?;
        let current = person
            .as_ref()
            .and_then(|p| p.aggregate.live())
            .filter(|r| actor.may_see(r.fields.share_type, &r.fields.managers))
            .and_then(|r| r.fields.company_id);
        let Some(current) = current.filter(|c| Some(*c) != company) else {
            return Ok(());
        };
        // A deleted company may be left by anyone who may change the person.
        let left = self.load::<Company>(&current.to_string()).await?;
        match left.as_ref().and_then(|c| c.aggregate.live()) {
            Some(r) if !actor.may_see(r.fields.share_type, &r.fields.managers) => Err(AppError::NotFound("company")),
            _ => Ok(()),
        }
    }

    /// Whether `id` is a person or a company (404 when it is neither).
    async fn kind(&self, id: i64) -> Result<Kind, AppError> {
        let kind: Option<String> = sqlx::query_scalar(
            "SELECT aggregate_type FROM events WHERE aggregate_id = $1 AND aggregate_type IN ('Person', 'Company')
              LIMIT 1",
        )
        .bind(id.to_string())
        .fetch_optional(self.pool())
        .await?;
        match kind.as_deref() {
            Some("Person") => Ok(Kind::Person),
            Some("Company") => Ok(Kind::Company),
            _ => Err(AppError::NotFound("contact")),
        }
    }

    /// A changed person as `actor` may see it: without a company invisible to them.
    async fn person_answer(&self, actor: &Actor, id: i64, decided: Decided<Person>) -> Result<PersonView, AppError> {
        self.person_written(id, decided)
            .await
            .map(|view| company_shown_to(actor, view))
    }

    /// A changed person at the version its change made.
    async fn person_written(&self, id: i64, decided: Decided<Person>) -> Result<PersonView, AppError> {
        // The row the append wrote, with its company and creator as the same statement read them.
        if let Some(row) = &decided.written {
            match persons::from_row(row) {
                Ok(view) if view.id == id && view.version == decided.version => return Ok(view),
                Ok(_) => tracing::warn!(person_id = id, "the row written is not the change's; reading it back"),
                Err(e) => {
                    tracing::warn!(error = %e, person_id = id, "the row written could not be read; reading it back")
                }
            }
        }
        let fetch = || persons::get(self.pool(), id);
        let fallback = || from_record(&decided, PersonView::from_record, "person");
        self.view_at(fetch, |v: &PersonView| v.version, decided.version, fallback)
            .await
    }

    async fn company_answer(&self, actor: &Actor, id: i64, decided: Decided<Company>) -> Result<CompanyView, AppError> {
        let viewer = viewer_of(actor);
        let fetch = || companies::get(self.pool(), id, viewer);
        let fallback = || from_record(&decided, CompanyView::from_record, "company");
        self.view_at(fetch, |v: &CompanyView| v.version, decided.version, fallback)
            .await
    }

    /// The view once the read model shows `version` (read-your-writes), else built from the events.
    async fn view_at<V, F, Fut>(
        &self,
        fetch: F,
        version_of: impl Fn(&V) -> i64,
        version: i64,
        fallback: impl FnOnce() -> Result<V, AppError>,
    ) -> Result<V, AppError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<V>, sqlx::Error>>,
    {
        let reached = || async { Ok(fetch().await?.filter(|v| version_of(v) >= version)) };
        match self.projected(reached).await? {
            Some(view) => Ok(view),
            None => fallback(),
        }
    }
}

/// The view of a decided aggregate's record.
fn from_record<A, R, V>(decided: &Decided<A>, view: impl Fn(&R, i64) -> V, what: &'static str) -> Result<V, AppError>
where
    A: RecordOf<R>,
{
    decided
        .aggregate
        .record_of()
        .map(|r| view(r, decided.version))
        .ok_or(AppError::NotFound(what))
}

/// The record an aggregate holds.
trait RecordOf<R> {
    fn record_of(&self) -> Option<&R>;
}

impl RecordOf<crate::domain::person::PersonRecord> for Person {
    fn record_of(&self) -> Option<&crate::domain::person::PersonRecord> {
        self.record()
    }
}

impl RecordOf<crate::domain::company::CompanyRecord> for Company {
    fn record_of(&self) -> Option<&crate::domain::company::CompanyRecord> {
        self.record()
    }
}
