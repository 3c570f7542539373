//! The figures the units are judged by ("daily clear, weekly summary,
//! quarterly review"), as JSON or CSV (`Accept: text/csv`): every unit for
//! admins, their own unit for staff.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::problem::ApiError;
use super::state::AppState;
use crate::reports::{self, Period, Report};

/// Which period.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// `day`, `week` (ISO, Monday first) or `quarter`, in the city's time zone (UTC+8).
    #[param(pattern = "^(day|week|quarter)$")]
    period: String,
    /// A local date `YYYY-MM-DD` inside the period (years 1970–9000); default today.
    #[param(format = Date, pattern = "^(19[7-9][0-9]|[2-8][0-9]{3}|9000)-")]
    date: Option<String>,
}

/// The report for the asked period, narrowed to `unit` if given.
pub async fn figures(state: &AppState, query: &PeriodQuery, unit: Option<&str>) -> Result<Report, ApiError> {
    let period = match &query.date {
        Some(date) => Period::parse(&query.period, date),
        None => reports::PeriodKind::parse(&query.period)
            .map(|kind| Period::containing(kind, time::OffsetDateTime::now_utc())),
    };
    let period = period.map_err(|message| {
        let field = if message.contains("date") { "date" } else { "period" };
        ApiError::field(field, message)
    })?;
    let mut report = reports::load::report(&state.store, &period).await?;
    if let Some(unit) = unit {
        report.rows.retain(|row| row.unit == unit);
    }
    Ok(report)
}

/// JSON, or CSV when the client accepts `text/csv` (and not JSON first).
pub fn render(report: &Report, headers: &HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if accept.contains("text/csv") && !accept.trim_start().starts_with("application/json") {
        let mut response = reports::to_csv(report).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        let disposition = format!("attachment; filename=\"onewindow-{}.csv\"", report.period.label);
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
        }
        return response;
    }
    axum::Json(report).into_response()
}
