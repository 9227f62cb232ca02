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

/// Core errors: unknown words are 404, everything else about the request is 400.
impl From<vecspace::Error> for ApiError {
    fn from(error: vecspace::Error) -> ApiError {
        use vecspace::expr::EvalErrorKind;
        let unknown = match &error {
            vecspace::Error::UnknownWord { .. } => true,
            vecspace::Error::Expression { error, .. } => matches!(error.kind, EvalErrorKind::UnknownName { .. }),
            _ => false,
        };
        if unknown {
            ApiError::not_found("unknown_word", error.to_string())
        } else if matches!(error, vecspace::Error::Parse(_) | vecspace::Error::Expression { .. }) {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_expression", error.to_string())
        } else {
            ApiError::bad_request(error.to_string())
        }
    }
}

impl From<vecspace::ModelError> for ApiError {
    fn from(error: vecspace::ModelError) -> ApiError {
        match error {
            vecspace::ModelError::Unknown { .. } => ApiError::not_found("unknown_model", error.to_string()),
            other => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "model_unavailable", other.to_string()),
        }
    }
}

impl From<vecspace::lm::LmError> for ApiError {
    fn from(error: vecspace::lm::LmError) -> ApiError {
        ApiError::bad_request(error.to_string())
    }
}

impl From<vecspace::latent::GeneratorError> for ApiError {
    fn from(error: vecspace::latent::GeneratorError) -> ApiError {
        ApiError::bad_request(error.to_string())
    }
}
