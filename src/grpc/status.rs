//! `AppError` → `tonic::Status`, every variant mapped explicitly. Field names in messages are the
//! proto's (snake_case), and INVALID_ARGUMENT also carries a `google.rpc.BadRequest` detail; internal
//! errors are logged with their chain and answered generically.

use prost::Message;
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
            e @ AppError::KeyReused => Status::aborted(e.to_string()),
            e @ AppError::Unavailable(_) => Status::unavailable(e.to_string()),
            AppError::Internal(e) => {
                tracing::error!(error = %chain(&*e), "internal error answering a gRPC call");
                Status::internal("internal error")
            }
        }
    }
}

/// INVALID_ARGUMENT naming the request field at fault: `"<field>: <message>"`, with the field and
/// message also as a `google.rpc.BadRequest` field violation in the status details.
pub fn invalid(field: &str, message: impl std::fmt::Display) -> Status {
    let description = message.to_string();
    let text = format!("{field}: {description}");
    let violation = FieldViolation {
        field: field.to_string(),
        description,
    };
    let bad_request = BadRequest {
        field_violations: vec![violation],
    };
    let details = RpcStatus {
        code: Code::InvalidArgument as i32,
        message: text.clone(),
        details: vec![prost_types::Any {
            type_url: BAD_REQUEST_TYPE_URL.to_string(),
            value: bad_request.encode_to_vec(),
        }],
    };
    Status::with_details(Code::InvalidArgument, text, details.encode_to_vec().into())
}

pub const BAD_REQUEST_TYPE_URL: &str = "type.googleapis.com/google.rpc.BadRequest";

/// `google.rpc.Status`, the payload of the `grpc-status-details-bin` trailer.
#[derive(Clone, PartialEq, Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<prost_types::Any>,
}

/// `google.rpc.BadRequest`: which request fields were at fault.
#[derive(Clone, PartialEq, Message)]
pub struct BadRequest {
    #[prost(message, repeated, tag = "1")]
    pub field_violations: Vec<FieldViolation>,
}

/// `google.rpc.BadRequest.FieldViolation`.
#[derive(Clone, PartialEq, Message)]
pub struct FieldViolation {
    #[prost(string, tag = "1")]
    pub field: String,
    #[prost(string, tag = "2")]
    pub description: String,
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
    fn invalid_argument_carries_a_bad_request_detail() {
        let status = invalid("lead", "must be a GUID");
        let details = RpcStatus::decode(status.details()).unwrap();
        assert_eq!(details.code, Code::InvalidArgument as i32);
        assert_eq!(details.details[0].type_url, BAD_REQUEST_TYPE_URL);
        let bad = BadRequest::decode(details.details[0].value.as_slice()).unwrap();
        assert_eq!(bad.field_violations[0].field, "lead");
        assert_eq!(bad.field_violations[0].description, "must be a GUID");
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
