//! Who sees which CRM contact (ONLYOFFICE's rules, applied the same for REST, gRPC and NATS):
//! visitors have no CRM access; CRM admins see everything; everyone else sees shared contacts and the
//! private ones they manage, and for them an invisible contact does not exist. Lists apply the rule in
//! their own SQL (`read_model::Viewer`), so `total` and paging count only what the caller sees.

use super::{Actor, AppError};
use crate::read_model::Viewer;
use crate::read_model::companies::CompanyView;
use crate::read_model::persons::PersonView;

/// The viewer a CRM read runs for; visitors are refused.
pub(super) fn crm_viewer(actor: &Actor) -> Result<Viewer, AppError> {
    if actor.is_visitor {
        return Err(AppError::Forbidden("visitors have no access to the CRM"));
    }
    Ok(viewer_of(actor))
}

/// The viewer `actor` is, for answers to a change they were allowed to make.
pub(super) fn viewer_of(actor: &Actor) -> Viewer {
    if actor.is_crm_admin() {
        Viewer::Admin
    } else {
        Viewer::Member(actor.id)
    }
}

/// A person as `actor` may see it: `None` when it is invisible to them; its company only if visible.
pub(super) fn person_for(actor: &Actor, view: PersonView) -> Option<PersonView> {
    if !actor.may_see(view.share_type, &view.managers) {
        return None;
    }
    Some(company_shown_to(actor, view))
}

/// A person with its company left out when `actor` may not see that company (a change's answer goes
/// to whoever may change the person, who need not see its company).
pub(super) fn company_shown_to(actor: &Actor, mut view: PersonView) -> PersonView {
    view.company = view.company.filter(|c| actor.may_see(c.share_type, &c.managers));
    view
}

/// A company as `actor` may see it: `None` when it is invisible to them.
pub(super) fn company_for(actor: &Actor, view: CompanyView) -> Option<CompanyView> {
    actor.may_see(view.share_type, &view.managers).then_some(view)
}
