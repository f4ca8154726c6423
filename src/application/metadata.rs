//! Who asks and how: the actor, correlation id, idempotency key and source of a command.

use std::collections::HashMap;

use uuid::Uuid;

use crate::domain::user::{Editor, UserRecord};
use crate::domain::values::ShareType;

/// The authenticated caller, as decisions need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: Uuid,
    pub user_name: String,
    pub display_name: String,
    pub title: Option<String>,
    pub is_admin: bool,
    pub is_owner: bool,
    pub is_visitor: bool,
}

impl Actor {
    /// The service itself (bootstrap): an admin with no user behind it.
    pub fn system() -> Actor {
        Actor {
            id: Uuid::nil(),
            user_name: "system".into(),
            display_name: "system".into(),
            title: None,
            is_admin: true,
            is_owner: false,
            is_visitor: false,
        }
    }

    pub fn from_user(u: &UserRecord) -> Actor {
        Actor {
            id: u.id,
            user_name: u.user_name.as_str().to_string(),
            display_name: format!("{} {}", u.first_name, u.last_name),
            title: u.title.clone(),
            is_admin: u.is_admin,
            is_owner: u.is_owner,
            is_visitor: u.is_visitor,
        }
    }

    /// The caller as the user rules see them.
    pub fn editor(&self) -> Editor {
        Editor {
            id: self.id,
            is_admin: self.is_admin,
            is_owner: self.is_owner,
        }
    }

    pub fn is_system(&self) -> bool {
        self.id.is_nil()
    }

    /// Adding users needs an admin or the owner.
    pub fn may_add_users(&self) -> bool {
        self.is_admin || self.is_owner
    }

    /// Visitors cannot create CRM contacts.
    pub fn may_create_contacts(&self) -> bool {
        !self.is_visitor
    }

    /// A CRM administrator: portal admins and the owner.
    pub fn is_crm_admin(&self) -> bool {
        self.is_admin || self.is_owner
    }

    /// ONLYOFFICE's `canEdit` of a contact: shared read/write, a CRM admin, or a listed manager.
    pub fn may_edit(&self, share: ShareType, managers: &[Uuid]) -> bool {
        !self.is_visitor && (share == ShareType::ReadWrite || self.is_crm_admin() || managers.contains(&self.id))
    }

    /// Whether a contact exists for this caller: shared ones for everyone, private ones for CRM
    /// admins and their managers.
    pub fn may_see(&self, share: ShareType, managers: &[Uuid]) -> bool {
        share != ShareType::None || self.is_crm_admin() || managers.contains(&self.id)
    }
}

/// Which entry point a command came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Rest,
    Grpc,
    Nats,
    Bootstrap,
    Test,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rest => "rest",
            Source::Grpc => "grpc",
            Source::Nats => "nats",
            Source::Bootstrap => "bootstrap",
            Source::Test => "test",
        }
    }
}

/// Everything about a command that is not its content.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub actor: Actor,
    pub correlation_id: String,
    pub idempotency_key: Option<String>,
    pub source: Source,
}

/// Longest accepted idempotency key.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

impl RequestMeta {
    pub fn new(actor: Actor, source: Source) -> Self {
        RequestMeta {
            actor,
            correlation_id: Uuid::new_v4().to_string(),
            idempotency_key: None,
            source,
        }
    }

    pub fn with_idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// The metadata stored with every event of the command.
    pub fn event_metadata(&self) -> HashMap<String, String> {
        let mut m = HashMap::from([
            ("correlation_id".to_string(), self.correlation_id.clone()),
            ("source".to_string(), self.source.as_str().to_string()),
            ("actor_id".to_string(), self.actor.id.to_string()),
        ]);
        if let Some(k) = &self.idempotency_key {
            m.insert("idempotency_key".to_string(), k.clone());
        }
        m
    }
}
