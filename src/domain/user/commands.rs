//! User commands, and the rules that turn a client's draft into validated fields.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::UserError;
use super::events::UserContact;
use super::password::check_password_policy;
use crate::domain::datetime::ApiDateTime;
use crate::domain::values::{Email, MAX_LINE, MAX_LIST, MAX_TEXT, MAX_URL, Sex, UserName, char_len, non_blank};

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

fn required(value: Option<&str>, missing: UserError, too_long: UserError) -> Result<String, UserError> {
    let v = value.and_then(non_blank).ok_or(missing)?;
    if char_len(v) > MAX_LINE {
        return Err(too_long);
    }
    Ok(v.to_string())
}

fn optional(value: Option<&str>, max: usize, too_long: UserError) -> Result<Option<String>, UserError> {
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
        if self.department.len() > MAX_LIST {
            return Err(UserError::TooManyDepartments);
        }
        let mut department = Vec::with_capacity(self.department.len());
        for d in &self.department {
            if !department.contains(d) {
                department.push(*d);
            }
        }
        if self.contacts.len() > MAX_LIST {
            return Err(UserError::TooManyContacts);
        }
        let contacts = self
            .contacts
            .iter()
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
            .collect::<Result<Vec<_>, _>>()?;
        if self.birthday.is_some_and(|b| b > now) {
            return Err(UserError::BirthdayInFuture);
        }
        // As in ONLYOFFICE: the password is trimmed; an empty one means "set it from the invitation".
        let password = self
            .password
            .as_ref()
            .map(|p| p.expose_secret().trim())
            .filter(|p| !p.is_empty())
            .map(|p| SecretString::from(p.to_string()));
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
