//! `AppError` → `tonic::Status`, every variant mapped explicitly. Fields are named as the proto names
//! them (`proto::names`), and INVALID_ARGUMENT also carries a `google.rpc.BadRequest` detail; internal
//! errors are logged (`AppError::log`) and answered generically.

use prost::Message;
use tonic::{Code, Status};

use crate::application::AppError;
use crate::proto::{self, names};

impl From<AppError> for Status {
    fn from(e: AppError) -> Status {
        e.log();
        match e {
            AppError::Invalid(rejection) => match rejection.field() {
                Some(field) => invalid(names::proto(field), rejection),
                None => Status::invalid_argument(rejection.to_string()),
            },
            AppError::Unauthenticated => Status::unauthenticated("a valid token is required"),
            AppError::Forbidden(why) => Status::permission_denied(why),
            e @ AppError::NotFound(_) => Status::not_found(e.to_string()),
            e @ AppError::EmailTaken => Status::already_exists(e.to_string()),
            AppError::Conflict(why) => Status::aborted(why),
            // Not ABORTED: retrying cannot help until the record's state changes.
            AppError::StateConflict(why) => Status::failed_precondition(why),
            e @ AppError::KeyReused => Status::aborted(e.to_string()),
            e @ AppError::VersionMismatch { .. } => Status::aborted(e.to_string()),
            e @ AppError::Unavailable(_) => Status::unavailable(e.to_string()),
            AppError::Internal(_) => Status::internal("internal error"),
        }
    }
}

impl From<proto::Invalid> for Status {
    fn from(e: proto::Invalid) -> Status {
        invalid(e.field, e.problem)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::RequestError;
    use crate::domain::person::PersonError;

    #[test]
    fn rejections_name_their_field_as_the_proto_does() {
        let status = Status::from(AppError::from(PersonError::FirstNameRequired));
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "first_name: is required and must not be blank");
        let status = Status::from(AppError::from(RequestError::IdempotencyKeyTooLong));
        assert_eq!(status.message(), "request_id: must be at most 255 characters");
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
            (AppError::Conflict("again"), Code::Aborted),
            (AppError::StateConflict("terminated"), Code::FailedPrecondition),
            (AppError::Unavailable("db"), Code::Unavailable),
        ];
        for (e, code) in cases {
            assert_eq!(Status::from(e).code(), code);
        }
    }
}
