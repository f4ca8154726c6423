//! `AppError` → `tonic::Status`, every variant mapped explicitly. Field names in messages are the
//! proto's (snake_case); internal errors are logged with their chain and answered generically.

use tonic::{Code, Status};

use crate::application::AppError;

impl From<AppError> for Status {
    fn from(e: AppError) -> Status {
        match e {
            AppError::Invalid { field, message } => match field.map(proto_field) {
                Some(field) => invalid(field, message),
                None => Status::invalid_argument(message),
            },
            AppError::Unauthenticated => Status::unauthenticated("a valid token is required"),
            AppError::Forbidden(why) => Status::permission_denied(why),
            e @ AppError::NotFound(_) => Status::not_found(e.to_string()),
            e @ AppError::EmailTaken => Status::already_exists(e.to_string()),
            AppError::Conflict(why) => Status::aborted(why),
            e @ AppError::Unavailable(_) => Status::unavailable(e.to_string()),
            AppError::Internal(e) => {
                tracing::error!(error = %chain(&*e), "internal error answering a gRPC call");
                Status::internal("internal error")
            }
        }
    }
}

/// INVALID_ARGUMENT naming the request field at fault: `"<field>: <message>"`.
pub fn invalid(field: &str, message: impl std::fmt::Display) -> Status {
    Status::new(Code::InvalidArgument, format!("{field}: {message}"))
}

/// The proto name of a field the application names as REST does.
fn proto_field(rest: &'static str) -> &'static str {
    match rest {
        "firstName" | "firstname" => "first_name",
        "lastName" | "lastname" => "last_name",
        "jobTitle" => "job_title",
        "managerList" => "manager_list",
        "customFieldList" => "custom_fields",
        "sortBy" => "sort_by",
        "Idempotency-Key" => "request_id",
        other => other,
    }
}

/// An error and its sources, outermost first.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_field_names_become_proto_names_in_the_message() {
        let status = Status::from(AppError::invalid("firstName", "firstName is required"));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "first_name: firstName is required");
        let status = Status::from(AppError::invalid("Idempotency-Key", "too long"));
        assert_eq!(status.message(), "request_id: too long");
    }

    #[test]
    fn internal_errors_are_not_echoed() {
        let status = Status::from(AppError::Internal("secret detail".into()));
        assert_eq!(status.code(), Code::Internal);
        assert!(!status.message().contains("secret"));
    }

    #[test]
    fn every_other_variant_has_its_own_code() {
        let cases = [
            (AppError::Unauthenticated, Code::Unauthenticated),
            (AppError::Forbidden("no"), Code::PermissionDenied),
            (AppError::NotFound("person"), Code::NotFound),
            (AppError::EmailTaken, Code::AlreadyExists),
            (AppError::Conflict("again".into()), Code::Aborted),
            (AppError::Unavailable("db".into()), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }
}
