//! The Person aggregate: decides person commands and folds person events.

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::PersonCommand;
use super::decide::decide;
use super::error::PersonError;
use super::events::{PersonCreated, PersonEvent};
use super::record::PersonRecord;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Person {
    record: Option<PersonRecord>,
}

impl Person {
    /// The person as its events make it, `None` before it exists (also once deleted: see `deleted`).
    pub fn record(&self) -> Option<&PersonRecord> {
        self.record.as_ref()
    }

    /// The person unless it does not exist or was deleted.
    pub fn live(&self) -> Option<&PersonRecord> {
        self.record.as_ref().filter(|r| !r.deleted)
    }
}

impl Aggregate for Person {
    const TYPE: &'static str = "Person";
    type Command = PersonCommand;
    type Event = PersonEvent;
    type Error = PersonError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            PersonCommand::Create(cmd) => {
                if self.record.is_some() {
                    return Err(PersonError::AlreadyCreated);
                }
                let fields = cmd.draft.validate()?;
                let event = PersonCreated {
                    id: cmd.id,
                    fields,
                    created_by: cmd.created_by,
                    created_at: cmd.created_at,
                };
                sink.write(PersonEvent::PersonCreated(event), self).await;
                Ok(())
            }
            command => {
                let events = decide(self.live().ok_or(PersonError::NotFound)?, command)?;
                for event in events {
                    sink.write(event, self).await;
                }
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: Self::Event) {
        match (&mut self.record, event) {
            (_, PersonEvent::PersonCreated(created)) => self.record = Some(PersonRecord::created(created)),
            (Some(record), event) => record.apply(event),
            (None, event) => tracing::warn!(?event, "a person event before the person was created; ignored"),
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;
    use uuid::Uuid;

    use super::*;
    use crate::domain::datetime::ApiDateTime;
    use crate::domain::field::Field;
    use crate::domain::person::{CreatePerson, CustomField, CustomFieldInput, PersonDraft};
    use crate::domain::values::ShareType;

    type Given = TestFramework<Person>;

    fn now() -> ApiDateTime {
        ApiDateTime::parse("2021-11-26T04:36:28.5400491Z").unwrap()
    }

    fn actor() -> Uuid {
        Uuid::from_u128(7)
    }

    fn seed_draft() -> PersonDraft {
        PersonDraft {
            first_name: Some("Tadjeddine".into()),
            last_name: Some("Bachir".into()),
            job_title: Some("Programmer".into()),
            company_id: Some(1234),
            about: Some(" some text ".into()),
            share_type: ShareType::None,
            manager_list: vec![Uuid::nil(), Uuid::nil()],
            custom_field_list: vec![
                CustomFieldInput { key: 0, value: None },
                CustomFieldInput {
                    key: 3,
                    value: Some("blue".into()),
                },
            ],
            photo: None,
        }
    }

    fn create(draft: PersonDraft) -> PersonCommand {
        PersonCommand::Create(CreatePerson {
            id: 42,
            draft,
            created_by: actor(),
            created_at: now(),
        })
    }

    fn created() -> PersonEvent {
        PersonEvent::PersonCreated(PersonCreated {
            id: 42,
            fields: seed_draft().validate().unwrap(),
            created_by: actor(),
            created_at: now(),
        })
    }

    async fn rejects(draft: PersonDraft, error: PersonError) {
        Given::with(())
            .given_no_previous_events()
            .when_async(create(draft))
            .await
            .then_expect_error(error);
    }

    #[tokio::test]
    async fn the_seed_request_creates_a_person_with_normalised_fields() {
        let result = Given::with(())
            .given_no_previous_events()
            .when_async(create(seed_draft()))
            .await;
        let events = result.inspect_result().unwrap();
        let [PersonEvent::PersonCreated(e)] = events.as_slice() else {
            panic!("{events:?}")
        };
        assert_eq!(e.id, 42);
        assert_eq!(e.created_by, actor());
        assert_eq!(e.fields.about, "some text", "about is trimmed");
        assert_eq!(e.fields.managers, vec![Uuid::nil()], "managers are deduplicated");
        assert_eq!(
            e.fields.custom_fields,
            vec![CustomField {
                key: 3,
                value: "blue".into()
            }]
        );
        assert_eq!(e.fields.company_id, Some(1234));
    }

    #[tokio::test]
    async fn creating_an_existing_person_is_refused() {
        Given::with(())
            .given(vec![created()])
            .when_async(create(seed_draft()))
            .await
            .then_expect_error(PersonError::AlreadyCreated);
    }

    /// 100 custom fields of `chars` CJK characters each (three bytes of UTF-8 per character).
    fn heavy(chars: usize) -> Vec<CustomFieldInput> {
        (1..=100)
            .map(|key| CustomFieldInput {
                key,
                value: Some("語".repeat(chars)),
            })
            .collect()
    }

    #[tokio::test]
    async fn a_person_heavier_than_one_event_may_be_is_refused_naming_its_heaviest_field() {
        // Every field rule holds (100 entries of 8000 characters), yet the event would weigh 2.4 MB.
        let draft = |custom_field_list, about: &str| PersonDraft {
            custom_field_list,
            about: Some(about.into()),
            ..seed_draft()
        };
        rejects(draft(heavy(8_000), "short"), PersonError::TooLarge(Field::CustomFields)).await;
        // Escapes count: a control character is six bytes of JSON.
        let escaped = "\u{1}".repeat(8_000);
        assert!(draft(heavy(1_500), "short").validate().is_ok(), "450 KB fit");
        assert_eq!(
            draft(heavy(1_600), &escaped).validate(),
            Err(PersonError::TooLarge(Field::CustomFields))
        );
    }

    #[tokio::test]
    async fn a_missing_first_name_is_refused() {
        rejects(
            PersonDraft {
                first_name: None,
                ..seed_draft()
            },
            PersonError::FirstNameRequired,
        )
        .await;
    }

    #[tokio::test]
    async fn a_blank_first_name_is_refused() {
        rejects(
            PersonDraft {
                first_name: Some(" \t ".into()),
                ..seed_draft()
            },
            PersonError::FirstNameRequired,
        )
        .await;
    }

    #[tokio::test]
    async fn a_missing_last_name_is_accepted_as_empty() {
        let draft = PersonDraft {
            last_name: None,
            ..seed_draft()
        };
        assert_eq!(draft.validate().unwrap().last_name, "");
    }

    #[tokio::test]
    async fn overlong_text_fields_are_refused() {
        let long = "x".repeat(256);
        rejects(
            PersonDraft {
                first_name: Some(long.clone()),
                ..seed_draft()
            },
            PersonError::FirstNameTooLong,
        )
        .await;
        rejects(
            PersonDraft {
                last_name: Some(long.clone()),
                ..seed_draft()
            },
            PersonError::LastNameTooLong,
        )
        .await;
        rejects(
            PersonDraft {
                job_title: Some(long),
                ..seed_draft()
            },
            PersonError::JobTitleTooLong,
        )
        .await;
        rejects(
            PersonDraft {
                about: Some("x".repeat(8001)),
                ..seed_draft()
            },
            PersonError::AboutTooLong,
        )
        .await;
    }

    #[tokio::test]
    async fn overlong_lists_are_refused() {
        let managers = (0..101).map(Uuid::from_u128).collect();
        rejects(
            PersonDraft {
                manager_list: managers,
                ..seed_draft()
            },
            PersonError::TooManyManagers,
        )
        .await;
        let fields = (1..=101)
            .map(|key| CustomFieldInput {
                key,
                value: Some("v".into()),
            })
            .collect();
        rejects(
            PersonDraft {
                custom_field_list: fields,
                ..seed_draft()
            },
            PersonError::TooManyCustomFields,
        )
        .await;
    }

    #[tokio::test]
    async fn a_custom_field_value_needs_a_positive_key_and_a_bounded_value() {
        let bad_key = vec![CustomFieldInput {
            key: -1,
            value: Some("v".into()),
        }];
        rejects(
            PersonDraft {
                custom_field_list: bad_key,
                ..seed_draft()
            },
            PersonError::CustomFieldKeyInvalid,
        )
        .await;
        let long = vec![CustomFieldInput {
            key: 1,
            value: Some("v".repeat(8001)),
        }];
        rejects(
            PersonDraft {
                custom_field_list: long,
                ..seed_draft()
            },
            PersonError::CustomFieldValueTooLong,
        )
        .await;
    }

    #[tokio::test]
    async fn a_company_id_must_be_positive_when_given() {
        for id in [0, -1] {
            rejects(
                PersonDraft {
                    company_id: Some(id),
                    ..seed_draft()
                },
                PersonError::CompanyIdNotPositive,
            )
            .await;
        }
        let none = PersonDraft {
            company_id: None,
            ..seed_draft()
        };
        assert_eq!(none.validate().unwrap().company_id, None);
    }

    #[test]
    fn events_have_stable_names_and_a_version() {
        use cqrs_es::DomainEvent;
        assert_eq!(created().event_type(), "PersonCreated");
        assert_eq!(created().event_version(), "1");
    }
}
