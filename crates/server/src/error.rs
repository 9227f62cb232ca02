//! Errors as JSON: `{"code": "...", "message": "..."}` with a stable code and the matching HTTP
//! status.

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An API error: the status, a stable machine-readable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    pub fn busy() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the server is busy with other heavy requests; retry shortly",
        )
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = axum::Json(Body { code: self.code, message: &self.message });
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE || self.status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
        }
        response
    }
}

/// Application errors by kind: unknown words, directions and models are 404, bad expressions and
/// requests 400, unavailable models and servers 503, files 500.
impl From<vecspace::app::Error> for ApiError {
    fn from(error: vecspace::app::Error) -> ApiError {
        use vecspace::app::ErrorKind;
        let message = error.to_string();
        match error.kind() {
            ErrorKind::UnknownWord => ApiError::not_found("unknown_word", message),
            ErrorKind::UnknownDirection => ApiError::not_found("unknown_direction", message),
            ErrorKind::UnknownModel => ApiError::not_found("unknown_model", message),
            ErrorKind::UnknownBenchmark => ApiError::not_found("unknown_set", message),
            ErrorKind::BadExpression => ApiError::new(StatusCode::BAD_REQUEST, "bad_expression", message),
            ErrorKind::Unavailable => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "model_unavailable", message),
            ErrorKind::File => ApiError::internal(message),
            ErrorKind::Exists => ApiError::new(StatusCode::CONFLICT, "exists", message),
            _ => ApiError::bad_request(message),
        }
    }
}

/// Errors of the library crates, through the application layer's kinds.
macro_rules! through_app {
    ($($error:ty),*) => {$(
        impl From<$error> for ApiError {
            fn from(error: $error) -> ApiError {
                ApiError::from(vecspace::app::Error::from(error))
            }
        }
    )*};
}

through_app!(vecspace::Error, vecspace::ModelError, vecspace::lm::LmError, vecspace::latent::GeneratorError);
