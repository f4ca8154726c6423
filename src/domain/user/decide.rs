//! How a user decides the commands that follow their creation: each returns the events that say
//! exactly what changed (none when nothing does), or the rule it breaks. Who may change whom is a rule
//! here too, decided on the same state as the change:
//! - a profile: the user themselves, or an administrator (any user, the owner's profile included);
//! - `title` and `lead`, status, type and deletion: administrators only;
//! - the owner's email and password: the owner only (an administrator who could set them could take
//!   the owner's account);
//! - administrator rights: the owner only, and the owner's own cannot be revoked.

use secrecy::{ExposeSecret, SecretString};

use super::commands::{Editor, UpdateUser, UserCommand, UserPatch, contacts, departments, optional, required, trimmed};
use super::error::UserError;
use super::events::{
    AdministratorChanged, EmailChanged, Reactivated, Terminated, TypeChanged, UserChanges, UserEvent, UserRemoved,
    UserStatus, UserType,
};
use super::password::check_password_policy;
use super::record::UserRecord;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Email, MAX_LINE, MAX_TEXT, MAX_URL, Patch};

/// The events of `command` on the live user `r` (`Create` and `ChangePassword` are decided by the
/// aggregate itself: one needs no record, the other a hash).
pub(super) fn decide(r: &UserRecord, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
    match command {
        UserCommand::Create(_) => Err(UserError::AlreadyCreated),
        UserCommand::Update(update) => self::update(r, &update),
        UserCommand::SetStatus { status, by, at } => set_status(r, status, by, at),
        UserCommand::SetType { user_type, by } => set_type(r, user_type, by),
        UserCommand::ChangeEmail { email, by } => change_email(r, &email, by),
        // The aggregate decides it (it needs the hasher); reaching here would store no hash.
        UserCommand::ChangePassword { password, by } => {
            password_rules(r, &password, by)?;
            Err(UserError::PasswordHashFailed)
        }
        UserCommand::Delete { by } => delete(r, by),
        UserCommand::SetAdministrator { administrator, by } => set_administrator(r, administrator, by),
    }
}

/// The user themselves or an administrator.
fn edits(r: &UserRecord, by: Editor) -> Result<(), UserError> {
    if by.id == r.id || by.is_admin() {
        Ok(())
    } else {
        Err(UserError::NotYourProfile)
    }
}

fn admin(by: Editor) -> Result<(), UserError> {
    by.is_admin().then_some(()).ok_or(UserError::AdminsOnly)
}

/// Who may change the sign-in of `r`: the user themselves or an administrator, but the owner's only
/// by the owner.
fn credentials(r: &UserRecord, by: Editor) -> Result<(), UserError> {
    edits(r, by)?;
    if r.is_owner && by.id != r.id {
        return Err(UserError::OwnerCredentials);
    }
    Ok(())
}

fn not_terminated(r: &UserRecord) -> Result<(), UserError> {
    match r.status {
        UserStatus::Terminated => Err(UserError::Terminated),
        _ => Ok(()),
    }
}

/// Checks a password change of `r` by `by` (rights, state and policy), before it is hashed; returns
/// the password as it will be hashed (trimmed, as ONLYOFFICE reads it).
pub(super) fn password_rules(r: &UserRecord, password: &SecretString, by: Editor) -> Result<SecretString, UserError> {
    credentials(r, by)?;
    not_terminated(r)?;
    let password = trimmed(password);
    if password.expose_secret().is_empty() || !check_password_policy(&password) {
        return Err(UserError::PasswordPolicy);
    }
    Ok(password)
}

fn update(r: &UserRecord, u: &UpdateUser) -> Result<Vec<UserEvent>, UserError> {
    let by = u.by;
    edits(r, by)?;
    let status = u.patch.disable.map(|disable| {
        if disable {
            UserStatus::Terminated
        } else {
            UserStatus::Active
        }
    });
    let reactivates = status == Some(UserStatus::Active) && r.status == UserStatus::Terminated;
    let terminates = status == Some(UserStatus::Terminated) && r.status != UserStatus::Terminated;
    if let Some(status) = status.filter(|_| reactivates || terminates) {
        status_rights(r, status, by)?;
    }
    let changes = changes(r, &u.patch, by, u.at)?;
    let retype = match u.patch.is_visitor {
        Some(visitor) if visitor != r.is_visitor => {
            let to = if visitor { UserType::Visitor } else { UserType::User };
            type_rules(r, to, by)?;
            Some(to)
        }
        _ => None,
    };
    if r.status == UserStatus::Terminated && !reactivates && (!changes.is_empty() || retype.is_some()) {
        return Err(UserError::Terminated);
    }
    let mut events = Vec::new();
    if reactivates {
        events.push(UserEvent::UserReactivated(Reactivated {}));
    }
    if !changes.is_empty() {
        events.push(UserEvent::UserUpdated(Box::new(changes)));
    }
    if let Some(user_type) = retype {
        events.push(UserEvent::UserTypeChanged(TypeChanged { user_type }));
    }
    if terminates {
        events.push(UserEvent::UserTerminated(Terminated { at: u.at }));
    }
    Ok(events)
}

/// `Some(new)` where `new` differs from `old`.
fn changed<T: PartialEq>(old: &T, new: T) -> Option<T> {
    (*old != new).then_some(new)
}

/// A nullable text field of an update: blank clears it, as does `Clear`.
fn text(p: &Patch<String>, max: usize, too_long: UserError) -> Result<Option<Option<String>>, UserError> {
    match p {
        Patch::Keep => Ok(None),
        Patch::Clear => Ok(Some(None)),
        Patch::Set(v) => optional(Some(v), max, too_long).map(Some),
    }
}

fn name(p: &Patch<String>, missing: UserError, too_long: UserError) -> Result<Option<String>, UserError> {
    match p {
        Patch::Keep => Ok(None),
        Patch::Clear => Err(missing),
        Patch::Set(v) => required(Some(v), missing, too_long).map(Some),
    }
}

/// A nullable value of an update.
fn value<T: Clone>(p: &Patch<T>) -> Option<Option<T>> {
    match p {
        Patch::Keep => None,
        Patch::Clear => Some(None),
        Patch::Set(v) => Some(Some(v.clone())),
    }
}

/// The profile fields `p` changes on `r`.
fn changes(r: &UserRecord, p: &UserPatch, by: Editor, now: ApiDateTime) -> Result<UserChanges, UserError> {
    let first_name = name(&p.first_name, UserError::FirstNameRequired, UserError::FirstNameTooLong)?;
    let last_name = name(&p.last_name, UserError::LastNameRequired, UserError::LastNameTooLong)?;
    let title = text(&p.title, MAX_LINE, UserError::TitleTooLong)?;
    let location = text(&p.location, MAX_LINE, UserError::LocationTooLong)?;
    let notes = text(&p.comment, MAX_TEXT, UserError::CommentTooLong)?;
    let avatar_url = text(&p.files, MAX_URL, UserError::AvatarUrlTooLong)?;
    let birthday = value(&p.birthday);
    if birthday.flatten().is_some_and(|b| b > now) {
        return Err(UserError::BirthdayInFuture);
    }
    let works_from = match p.works_from {
        Patch::Keep => None,
        Patch::Clear => return Err(UserError::WorksFromRequired),
        Patch::Set(w) => Some(w),
    };
    let lead = value(&p.lead).map(|l| l.filter(|l| !l.is_nil()));
    let c = UserChanges {
        first_name: first_name.and_then(|v| changed(&r.first_name, v)),
        last_name: last_name.and_then(|v| changed(&r.last_name, v)),
        title: title.and_then(|v| changed(&r.title, v)),
        location: location.and_then(|v| changed(&r.location, v)),
        sex: value(&p.sex).and_then(|v| changed(&r.sex, v)),
        birthday: birthday.and_then(|v| changed(&r.birthday, v)),
        works_from: works_from.and_then(|v| changed(&r.works_from, v)),
        notes: notes.and_then(|v| changed(&r.notes, v)),
        department: p
            .department
            .as_deref()
            .map(departments)
            .transpose()?
            .and_then(|v| changed(&r.department, v)),
        contacts: p
            .contacts
            .as_deref()
            .map(contacts)
            .transpose()?
            .and_then(|v| changed(&r.contacts, v)),
        avatar_url: avatar_url.and_then(|v| changed(&r.avatar_url, v)),
        lead: lead.and_then(|v| changed(&r.lead, v)),
    };
    if (c.title.is_some() || c.lead.is_some()) && !by.is_admin() {
        return Err(UserError::TitleAndLeadAdminsOnly);
    }
    Ok(c)
}

/// Whether `by` may move `r` to `status` (which differs from the current one).
fn status_rights(r: &UserRecord, status: UserStatus, by: Editor) -> Result<(), UserError> {
    admin(by)?;
    if r.is_owner {
        return Err(UserError::OwnerStaysActive);
    }
    if by.id == r.id {
        return Err(UserError::OwnStatus);
    }
    match status {
        UserStatus::Active | UserStatus::Terminated => Ok(()),
        UserStatus::LeaveOfAbsence => Err(UserError::StatusNotSettable),
    }
}

fn set_status(r: &UserRecord, status: UserStatus, by: Editor, at: ApiDateTime) -> Result<Vec<UserEvent>, UserError> {
    admin(by)?;
    if status == UserStatus::LeaveOfAbsence {
        return Err(UserError::StatusNotSettable);
    }
    if status == r.status {
        return Ok(vec![]);
    }
    status_rights(r, status, by)?;
    Ok(vec![match status {
        UserStatus::Terminated => UserEvent::UserTerminated(Terminated { at }),
        _ => UserEvent::UserReactivated(Reactivated {}),
    }])
}

/// Whether `by` may make `r` a user of type `to` (which differs from the current one).
fn type_rules(r: &UserRecord, to: UserType, by: Editor) -> Result<(), UserError> {
    admin(by)?;
    match to {
        UserType::Visitor if r.is_owner => Err(UserError::OwnerCannotBeVisitor),
        UserType::Visitor if r.is_admin => Err(UserError::AdministratorCannotBeVisitor),
        _ => Ok(()),
    }
}

fn set_type(r: &UserRecord, user_type: UserType, by: Editor) -> Result<Vec<UserEvent>, UserError> {
    admin(by)?;
    if user_type == r.user_type() {
        return Ok(vec![]);
    }
    type_rules(r, user_type, by)?;
    Ok(vec![UserEvent::UserTypeChanged(TypeChanged { user_type })])
}

fn change_email(r: &UserRecord, email: &Email, by: Editor) -> Result<Vec<UserEvent>, UserError> {
    credentials(r, by)?;
    not_terminated(r)?;
    // ONLYOFFICE lower-cases a changed address (an address stays valid lower-cased).
    let to = Email::parse(&email.key()).ok_or(UserError::EmailInvalid)?;
    if to == r.email {
        return Ok(vec![]);
    }
    Ok(vec![UserEvent::UserEmailChanged(EmailChanged {
        from: r.email.clone(),
        to,
    })])
}

fn delete(r: &UserRecord, by: Editor) -> Result<Vec<UserEvent>, UserError> {
    admin(by)?;
    if r.is_owner {
        return Err(UserError::OwnerCannotBeDeleted);
    }
    if r.status != UserStatus::Terminated {
        return Err(UserError::NotTerminated);
    }
    Ok(vec![UserEvent::UserDeleted(UserRemoved {})])
}

fn set_administrator(r: &UserRecord, administrator: bool, by: Editor) -> Result<Vec<UserEvent>, UserError> {
    if !by.is_owner {
        return Err(UserError::OwnerGrantsAdministrators);
    }
    if administrator == r.is_admin {
        return Ok(vec![]);
    }
    if r.is_owner {
        return Err(UserError::OwnerStaysAdministrator);
    }
    if administrator && r.is_visitor {
        return Err(UserError::VisitorCannotBeAdministrator);
    }
    Ok(vec![if administrator {
        UserEvent::UserAdministratorGranted(AdministratorChanged {})
    } else {
        UserEvent::UserAdministratorRevoked(AdministratorChanged {})
    }])
}

impl UserRecord {
    /// Whether `by` may change this user's email or password now: the rule such a change is decided
    /// by, for an application that must know it before preparing the change (claiming an address).
    pub fn may_change_credentials(&self, by: Editor) -> Result<(), UserError> {
        credentials(self, by)?;
        not_terminated(self)
    }
}
