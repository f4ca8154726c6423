//! Every NATS name derived from the prefix `P` (INTERFACE.md): stream, consumer, subjects, queue group.

/// The names of one deployment (or one test), all derived from `ROLLCALL_NATS_PREFIX`.
#[derive(Debug, Clone)]
pub struct Names {
    prefix: String,
}

impl Names {
    pub fn new(prefix: impl Into<String>) -> Names {
        Names { prefix: prefix.into() }
    }

    /// The prefix `P` itself.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The JetStream stream of commands, `P-commands`.
    pub fn stream(&self) -> String {
        format!("{}-commands", self.prefix)
    }

    /// The durable pull consumer shared by every instance, `P-ingest`.
    pub fn consumer(&self) -> String {
        format!("{}-ingest", self.prefix)
    }

    /// What the stream captures, `P.commands.>`.
    pub fn commands(&self) -> String {
        format!("{}.commands.>", self.prefix)
    }

    /// What request-reply listens on, `P.rpc.>`.
    pub fn rpc(&self) -> String {
        format!("{}.rpc.>", self.prefix)
    }

    /// The queue group of request-reply responders, `P-rpc`.
    pub fn rpc_group(&self) -> String {
        format!("{}-rpc", self.prefix)
    }

    /// The command name of a command subject: `P.commands.crm.person.create` → `crm.person.create`.
    pub fn command_of<'s>(&self, subject: &'s str) -> Option<&'s str> {
        self.after(subject, "commands")
    }

    /// The command name of a request-reply subject: `P.rpc.crm.person.create` → `crm.person.create`.
    pub fn rpc_command_of<'s>(&self, subject: &'s str) -> Option<&'s str> {
        self.after(subject, "rpc")
    }

    /// Where a rejected command is republished: `P.rejected.<command>`.
    pub fn rejected(&self, command: &str) -> String {
        format!("{}.rejected.{command}", self.prefix)
    }

    fn after<'s>(&self, subject: &'s str, kind: &str) -> Option<&'s str> {
        subject
            .strip_prefix(self.prefix.as_str())?
            .strip_prefix('.')?
            .strip_prefix(kind)?
            .strip_prefix('.')
            .filter(|rest| !rest.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_interface() {
        let n = Names::new("p");
        assert_eq!(n.stream(), "p-commands");
        assert_eq!(n.consumer(), "p-ingest");
        assert_eq!(n.commands(), "p.commands.>");
        assert_eq!(n.rpc(), "p.rpc.>");
        assert_eq!(n.rpc_group(), "p-rpc");
        assert_eq!(n.rejected("crm.person.create"), "p.rejected.crm.person.create");
    }

    #[test]
    fn the_command_is_what_follows_the_kind() {
        let n = Names::new("p");
        assert_eq!(n.command_of("p.commands.crm.person.create"), Some("crm.person.create"));
        assert_eq!(n.rpc_command_of("p.rpc.people.user.create"), Some("people.user.create"));
        assert_eq!(n.command_of("p.rpc.people.user.create"), None);
        assert_eq!(n.command_of("px.commands.a"), None);
        assert_eq!(n.command_of("p.commands."), None);
    }
}
