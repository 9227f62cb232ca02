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

/// The message with every absolute path cut to its file name: where the server keeps its cache
/// and files is nobody's business but the operator's.
fn without_paths(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find('/') {
        let starts_token = rest[..at].chars().next_back().is_none_or(|c| c.is_whitespace() || "\"'(=".contains(c));
        let token_len = rest[at..].find(|c: char| c.is_whitespace() || "\"',;)".contains(c)).unwrap_or(rest.len() - at);
        let token = &rest[at..at + token_len];
        // A path has a second slash: `/tmp/x.vsp`, not the `/` of `king / 2`.
        let is_path = starts_token && token[1..].contains('/');
        out.push_str(&rest[..at]);
        if is_path {
            let name = token.trim_end_matches(':').rsplit('/').next().unwrap_or_default();
            out.push_str(name);
            if token.ends_with(':') {
                out.push(':');
            }
        } else {
            out.push_str(token);
        }
        rest = &rest[at + token_len..];
    }
    out.push_str(rest);
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = vecspace::app::printable(&without_paths(&self.message));
        let body = axum::Json(Body { code: self.code, message: &message });
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

#[cfg(test)]
mod tests {
    use super::without_paths;

    #[test]
    fn absolute_paths_are_cut_to_their_file_names() {
        assert_eq!(
            without_paths("/root/.cache/vecspace/spaces/glove.vsp: the file changed (mapped 9 bytes)"),
            "glove.vsp: the file changed (mapped 9 bytes)"
        );
        assert_eq!(without_paths("cannot read \"/srv/data/x.txt\" now"), "cannot read \"x.txt\" now");
        // Division and words with slashes are not paths.
        assert_eq!(without_paths("king / 2 and and/or"), "king / 2 and and/or");
    }
}
