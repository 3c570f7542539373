//! How the linkage layer's refusals answer over HTTP, and the paging every
//! linkage listing shares.

use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::{ApiError, FieldError};
use crate::records::engine::RecordsError;
use crate::store::cases::CaseError;

impl From<CaseError> for ApiError {
    fn from(error: CaseError) -> Self {
        match error {
            CaseError::NotFound(id) => ApiError::NotFound(format!("case {id} does not exist")),
            CaseError::IllegalTransition { from, .. } => {
                let allowed: Vec<&str> = from.allowed_next().iter().map(|s| s.as_str()).collect();
                let hint = if allowed.is_empty() { "none: the case is closed".to_owned() } else { allowed.join(", ") };
                ApiError::Refused {
                    status: StatusCode::CONFLICT,
                    slug: "illegal-transition",
                    title: "Illegal case transition",
                    detail: error.to_string(),
                    errors: vec![FieldError::new("to", format!("allowed from {}: {hint}", from.as_str()))],
                }
            }
            CaseError::Conflict(message) => ApiError::Conflict(message),
            CaseError::Invalid(message) => ApiError::BadRequest(message),
            CaseError::Database(e) => e.into(),
        }
    }
}

impl From<RecordsError> for ApiError {
    fn from(error: RecordsError) -> Self {
        match error {
            RecordsError::AccessDenied(message) => ApiError::Forbidden(message),
            RecordsError::NotFound(message) => ApiError::NotFound(message),
            RecordsError::Invalid(message) => ApiError::BadRequest(message),
            RecordsError::Conflict(message) => ApiError::Conflict(message),
            RecordsError::Unavailable(message) => ApiError::ServiceUnavailable(message),
            RecordsError::ConsentRequired(message) => ApiError::Forbidden(message),
        }
    }
}

/// `limit` (1–200, default 50) and `offset` of a listing.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// How many to skip (default 0).
    pub offset: Option<u32>,
}

impl Page {
    /// The checked (limit, offset).
    pub fn bounds(self) -> Result<(u32, u32), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::field("limit", "must be 1 to 200"));
        }
        // The document says int32, as the databases count rows.
        let offset = self.offset.unwrap_or(0);
        if offset > i32::MAX as u32 {
            return Err(ApiError::field("offset", "must be 0 to 2147483647"));
        }
        Ok((limit, offset))
    }
}
