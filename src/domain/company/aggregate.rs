//! The Company aggregate: decides company commands and folds company events.

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::CompanyCommand;
use super::decide::decide;
use super::error::CompanyError;
use super::events::{CompanyCreated, CompanyEvent};
use super::record::CompanyRecord;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Company {
    record: Option<CompanyRecord>,
}

impl Company {
    /// The company as its events make it, `None` before it exists (also once deleted: see `deleted`).
    pub fn record(&self) -> Option<&CompanyRecord> {
        self.record.as_ref()
    }

    /// The company unless it does not exist or was deleted.
    pub fn live(&self) -> Option<&CompanyRecord> {
        self.record.as_ref().filter(|r| !r.deleted)
    }
}

impl Aggregate for Company {
    const TYPE: &'static str = "Company";
    type Command = CompanyCommand;
    type Event = CompanyEvent;
    type Error = CompanyError;
    type Services = ();

    async fn handle(&mut self, command: Self::Command, _: &(), sink: &EventSink<Self>) -> Result<(), Self::Error> {
        match command {
            CompanyCommand::Create(cmd) => {
                if self.record.is_some() {
                    return Err(CompanyError::AlreadyCreated);
                }
                let fields = cmd.draft.validate()?;
                let event = CompanyCreated {
                    id: cmd.id,
                    fields,
                    created_by: cmd.created_by,
                    created_at: cmd.created_at,
                };
                sink.write(CompanyEvent::CompanyCreated(event), self).await;
                Ok(())
            }
            command => {
                let events = decide(self.live().ok_or(CompanyError::NotFound)?, command)?;
                for event in events {
                    sink.write(event, self).await;
                }
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: Self::Event) {
        match (&mut self.record, event) {
            (_, CompanyEvent::CompanyCreated(created)) => self.record = Some(CompanyRecord::created(created)),
            (Some(record), event) => record.apply(event),
            (None, event) => tracing::warn!(?event, "a company event before the company was created; ignored"),
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;
    use uuid::Uuid;

    use super::*;
    use crate::domain::company::{CompanyDraft, CreateCompany};
    use crate::domain::contact::CustomFieldInput;
    use crate::domain::datetime::ApiDateTime;
    use crate::domain::values::ShareType;

    type Given = TestFramework<Company>;

    fn draft() -> CompanyDraft {
        CompanyDraft {
            company_name: Some("Food and Culture Project".into()),
            about: Some("  cooking  ".into()),
            share_type: ShareType::Read,
            manager_list: vec![Uuid::nil(), Uuid::nil()],
            custom_field_list: vec![CustomFieldInput {
                key: 2,
                value: Some("x".into()),
            }],
            photo: None,
        }
    }

    fn create(draft: CompanyDraft) -> CompanyCommand {
        CompanyCommand::Create(CreateCompany {
            id: 5,
            draft,
            created_by: Uuid::from_u128(1),
            created_at: ApiDateTime::parse("2025-01-10T10:00:00Z").unwrap(),
        })
    }

    async fn rejects(draft: CompanyDraft, error: CompanyError) {
        Given::with(())
            .given_no_previous_events()
            .when_async(create(draft))
            .await
            .then_expect_error(error);
    }

    #[tokio::test]
    async fn a_company_heavier_than_one_event_may_be_is_refused_naming_its_heaviest_field() {
        let heavy = (1..=100)
            .map(|key| CustomFieldInput {
                key,
                value: Some("語".repeat(8_000)),
            })
            .collect();
        rejects(
            CompanyDraft {
                custom_field_list: heavy,
                ..draft()
            },
            CompanyError::TooLarge(crate::domain::field::Field::CustomFields),
        )
        .await;
    }

    #[tokio::test]
    async fn a_company_is_created_with_normalised_fields() {
        let events = Given::with(())
            .given_no_previous_events()
            .when_async(create(draft()))
            .await
            .inspect_result();
        let events = events.unwrap();
        let [CompanyEvent::CompanyCreated(e)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!((e.id, e.fields.about.as_str()), (5, "cooking"));
        assert_eq!(e.fields.managers, vec![Uuid::nil()]);
        assert_eq!(e.fields.share_type, ShareType::Read);
    }

    #[tokio::test]
    async fn creating_an_existing_company_is_refused() {
        let existing = Given::with(())
            .given_no_previous_events()
            .when_async(create(draft()))
            .await;
        let events = existing.inspect_result().unwrap();
        Given::with(())
            .given(events)
            .when_async(create(draft()))
            .await
            .then_expect_error(CompanyError::AlreadyCreated);
    }

    #[tokio::test]
    async fn the_company_name_is_required_and_bounded() {
        rejects(
            CompanyDraft {
                company_name: None,
                ..draft()
            },
            CompanyError::CompanyNameRequired,
        )
        .await;
        rejects(
            CompanyDraft {
                company_name: Some(" ".into()),
                ..draft()
            },
            CompanyError::CompanyNameRequired,
        )
        .await;
        let long = Some("x".repeat(256));
        rejects(
            CompanyDraft {
                company_name: long,
                ..draft()
            },
            CompanyError::CompanyNameTooLong,
        )
        .await;
    }

    #[tokio::test]
    async fn about_managers_and_custom_fields_are_bounded() {
        rejects(
            CompanyDraft {
                about: Some("x".repeat(8001)),
                ..draft()
            },
            CompanyError::AboutTooLong,
        )
        .await;
        let managers = (0..101).map(Uuid::from_u128).collect();
        rejects(
            CompanyDraft {
                manager_list: managers,
                ..draft()
            },
            CompanyError::TooManyManagers,
        )
        .await;
        let bad = vec![CustomFieldInput {
            key: 0,
            value: Some("v".into()),
        }];
        rejects(
            CompanyDraft {
                custom_field_list: bad,
                ..draft()
            },
            CompanyError::CustomFieldKeyInvalid,
        )
        .await;
    }

    #[test]
    fn events_have_stable_names_and_a_version() {
        use cqrs_es::DomainEvent;
        let e = CompanyEvent::CompanyCreated(CompanyCreated {
            id: 1,
            fields: draft().validate().unwrap(),
            created_by: Uuid::nil(),
            created_at: ApiDateTime::parse("2025-01-10").unwrap(),
        });
        assert_eq!(
            (e.event_type().as_str(), e.event_version().as_str()),
            ("CompanyCreated", "1")
        );
    }
}
