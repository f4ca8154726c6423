//! User commands, and the rules that turn a client's draft into validated fields.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::UserError;
use super::events::{UserContact, UserStatus, UserType};
use super::password::check_password_policy;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Email, MAX_LINE, MAX_LIST, MAX_TEXT, MAX_URL, Patch, Sex, UserName, char_len, non_blank};

/// What a client sent for `POST people`, as typed as the wire allows.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserDraft {
    pub is_visitor: bool,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Vec<Uuid>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub sex: Option<Sex>,
    pub birthday: Option<ApiDateTime>,
    pub works_from: Option<ApiDateTime>,
    pub comment: Option<String>,
    pub contacts: Vec<ContactInput>,
    pub files: Option<String>,
    /// Never serialized: fingerprints and logs must not carry it.
    #[serde(skip)]
    pub password: Option<SecretString>,
    pub lead: Option<Uuid>,
}

/// One `contacts` entry: `{Type, Value}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    pub kind: String,
    pub value: String,
}

/// Who the new user is in the portal: the owner (created at bootstrap) or an ordinary member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRole {
    Owner,
    Member,
}

#[derive(Debug, Clone)]
pub enum UserCommand {
    Create(Box<CreateUser>),
    /// `PUT people/{userid}`: what the patch leaves out keeps its value.
    Update(Box<UpdateUser>),
    /// Terminate or reactivate (only `Active` and `Terminated` can be set).
    SetStatus {
        status: UserStatus,
        by: Editor,
        at: ApiDateTime,
    },
    SetType {
        user_type: UserType,
        by: Editor,
    },
    /// Move the user to `email` (whose claim the application took for them).
    ChangeEmail {
        email: Email,
        by: Editor,
    },
    /// Never serialized nor logged (`SecretString`); only its hash reaches an event.
    ChangePassword {
        password: SecretString,
        by: Editor,
    },
    Delete {
        by: Editor,
    },
    /// Grant (`true`) or revoke administrator rights over the whole portal.
    SetAdministrator {
        administrator: bool,
        by: Editor,
    },
}

/// Who asks for a change, as the rules need them: the rights of users over users are domain rules,
/// decided on the same state as the change (see `decide.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Editor {
    pub id: Uuid,
    pub is_admin: bool,
    pub is_owner: bool,
}

impl Editor {
    /// Portal administrators: the admins and the owner.
    pub fn is_admin(&self) -> bool {
        self.is_admin || self.is_owner
    }
}

/// `PUT people/{userid}` on behalf of `by` at `at` (which decides a future birthday and the
/// termination date of `disable: true`).
#[derive(Debug, Clone)]
pub struct UpdateUser {
    pub patch: UserPatch,
    pub by: Editor,
    pub at: ApiDateTime,
}

/// A profile update as a client sent it: `Keep` (absent or `null`, as ONLYOFFICE keeps them) leaves a
/// field as it is, `Clear` (`""`) empties it. Lists are replaced when present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPatch {
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub title: Patch<String>,
    pub location: Patch<String>,
    pub sex: Patch<Sex>,
    pub birthday: Patch<ApiDateTime>,
    pub works_from: Patch<ApiDateTime>,
    pub comment: Patch<String>,
    pub department: Option<Vec<Uuid>>,
    pub contacts: Option<Vec<ContactInput>>,
    pub files: Patch<String>,
    pub lead: Patch<Uuid>,
    /// `Some(true)` makes the user a visitor, `Some(false)` a full user.
    pub is_visitor: Option<bool>,
    /// `Some(true)` terminates the user, `Some(false)` reactivates them.
    pub disable: Option<bool>,
}

/// Create the user `id` under `user_name` (chosen by the application among the email's candidates).
#[derive(Debug, Clone)]
pub struct CreateUser {
    pub id: Uuid,
    pub user_name: UserName,
    pub draft: UserDraft,
    pub role: UserRole,
    pub created_by: Option<Uuid>,
    pub created_at: ApiDateTime,
}

/// A draft that passed every rule.
#[derive(Debug, Clone)]
pub struct ValidUser {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub is_visitor: bool,
    pub department: Vec<Uuid>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub sex: Option<Sex>,
    pub birthday: Option<ApiDateTime>,
    pub works_from: ApiDateTime,
    pub notes: Option<String>,
    pub contacts: Vec<UserContact>,
    pub avatar_url: Option<String>,
    pub password: Option<SecretString>,
    pub lead: Option<Uuid>,
}

pub(super) fn required(value: Option<&str>, missing: UserError, too_long: UserError) -> Result<String, UserError> {
    let v = value.and_then(non_blank).ok_or(missing)?;
    if char_len(v) > MAX_LINE {
        return Err(too_long);
    }
    Ok(v.to_string())
}

pub(super) fn optional(value: Option<&str>, max: usize, too_long: UserError) -> Result<Option<String>, UserError> {
    match value.and_then(non_blank) {
        Some(v) if char_len(v) > max => Err(too_long),
        v => Ok(v.map(str::to_string)),
    }
}

impl UserDraft {
    /// Applies every rule of ONLYOFFICE's `POST people`, plus bounds on every field. `now` decides
    /// the default `worksfrom` (today, 00:00 UTC) and what counts as a future birthday.
    pub fn validate(&self, now: ApiDateTime) -> Result<ValidUser, UserError> {
        let email = self
            .email
            .as_deref()
            .and_then(non_blank)
            .ok_or(UserError::EmailRequired)?;
        let email = Email::parse(email).ok_or(UserError::EmailInvalid)?;
        let first_name = required(
            self.first_name.as_deref(),
            UserError::FirstNameRequired,
            UserError::FirstNameTooLong,
        )?;
        let last_name = required(
            self.last_name.as_deref(),
            UserError::LastNameRequired,
            UserError::LastNameTooLong,
        )?;
        let title = optional(self.title.as_deref(), MAX_LINE, UserError::TitleTooLong)?;
        let location = optional(self.location.as_deref(), MAX_LINE, UserError::LocationTooLong)?;
        let notes = optional(self.comment.as_deref(), MAX_TEXT, UserError::CommentTooLong)?;
        let avatar_url = optional(self.files.as_deref(), MAX_URL, UserError::AvatarUrlTooLong)?;
        let department = departments(&self.department)?;
        let contacts = contacts(&self.contacts)?;
        if self.birthday.is_some_and(|b| b > now) {
            return Err(UserError::BirthdayInFuture);
        }
        // As in ONLYOFFICE: the password is trimmed; an empty one means "set it from the invitation".
        let password = self
            .password
            .as_ref()
            .map(trimmed)
            .filter(|p| !p.expose_secret().is_empty());
        if password.as_ref().is_some_and(|p| !check_password_policy(p)) {
            return Err(UserError::PasswordPolicy);
        }
        Ok(ValidUser {
            email,
            first_name,
            last_name,
            is_visitor: self.is_visitor,
            department,
            title,
            location,
            sex: self.sex,
            birthday: self.birthday,
            works_from: self.works_from.unwrap_or_else(|| now.start_of_day()),
            notes,
            contacts,
            avatar_url,
            password,
            lead: self.lead.filter(|l| !l.is_nil()),
        })
    }
}

/// `department` without duplicates, at most [`MAX_LIST`] entries.
pub(super) fn departments(list: &[Uuid]) -> Result<Vec<Uuid>, UserError> {
    if list.len() > MAX_LIST {
        return Err(UserError::TooManyDepartments);
    }
    let mut department = Vec::with_capacity(list.len());
    for d in list {
        if !department.contains(d) {
            department.push(*d);
        }
    }
    Ok(department)
}

/// `contacts`, each with a `Type`, bounded.
pub(super) fn contacts(list: &[ContactInput]) -> Result<Vec<UserContact>, UserError> {
    if list.len() > MAX_LIST {
        return Err(UserError::TooManyContacts);
    }
    list.iter()
        .map(|c| {
            let kind = non_blank(&c.kind).ok_or(UserError::ContactTypeRequired)?;
            if char_len(kind) > MAX_LINE || char_len(&c.value) > MAX_LINE {
                return Err(UserError::ContactTooLong);
            }
            Ok(UserContact {
                kind: kind.to_string(),
                value: c.value.trim().to_string(),
            })
        })
        .collect()
}

/// A password as ONLYOFFICE reads it: trimmed.
pub(super) fn trimmed(password: &SecretString) -> SecretString {
    SecretString::from(password.expose_secret().trim().to_string())
}
