//! HTTP errors: a status and a JSON body (`cahts_protocol::wire::HttpError`) with a stable
//! code and a message for people.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cahts_protocol::SignatureError;
use cahts_protocol::wire::{HttpError, HttpErrorBody};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = HttpError { error: HttpErrorBody { code: self.code.to_string(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

/// Why a webhook POST was refused; each reason is a metrics label.
#[derive(Debug)]
pub enum Rejection {
    TooLarge { limit: usize },
    Signature(SignatureError),
    Malformed(String),
}

impl Rejection {
    pub fn reason(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "too_large",
            Rejection::Signature(e) => e.reason(),
            Rejection::Malformed(_) => "malformed",
        }
    }

    pub fn into_api_error(self) -> ApiError {
        match self {
            Rejection::TooLarge { limit } => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("webhook body is larger than max_body_bytes ({limit})"),
            ),
            Rejection::Signature(e) => ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", e.to_string()),
            Rejection::Malformed(m) => ApiError::new(StatusCode::BAD_REQUEST, "malformed", m),
        }
    }
}
