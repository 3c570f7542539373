//! The hand-off to a partner's own service.
//!
//! When a partner unit runs a service of its own (the gas company's, say),
//! an admin names it in the unit's directory entry (`handled_by_service`).
//! From then on a report that would go to that unit is not filed here: the
//! answer is a `409` problem of type `urn:onewindow:problem:handed-off`
//! with the service's id and address (`service`, `href`, and a `link`
//! header) and, for an urgent category, the safety steps, so the resident
//! still learns what to do at once. Nothing is written and no personal data
//! is read: what the resident shares with the partner's service is decided
//! there, under that service's own grants and the resident's consent.
//!
//! Why not a redirect: a 307 would make HTTP clients resend the resident's
//! body to another service (with another body shape) unasked; a 303 turns
//! the report into a GET. The category's proposal (`GET /categories/{code}`)
//! shows `handled_by_service` too, so a client can go there before posting.
//! Referrals filed before the hand-off stay here and are worked here.

use onewindow_sdk::prelude::*;
use serde_json::json;

use super::report::HandOff;
use crate::directory::Directory;

/// The problem answer pointing at the service that takes the report.
pub fn answer(req: &Request, directory: &Directory, handoff: &HandOff) -> Response {
    let language = req.language();
    let service = handoff.service.as_str();
    let href = format!("/api/v1/services/{service}");
    onewindow_sdk::log::info(&format!(
        "report of {} for {} handed off to {service}",
        handoff.category.code, handoff.unit
    ));
    // Error carries no extension members, so the problem is written here in
    // the same shape the SDK and the host use.
    let body = json!({
        "type": "urn:onewindow:problem:handed-off",
        "title": "Handled by another service",
        "status": 409,
        "detail": format!(
            "reports of {} to {} are taken by the service {service}; nothing was filed here",
            handoff.category.code, handoff.unit
        ),
        "request_id": req.request_id(),
        "service": service,
        "href": href,
        "unit": handoff.unit,
        "unit_name": directory.unit_name(&handoff.unit, language),
        "category": handoff.category.code,
        "safety": directory.safety(handoff.category, language),
    });
    Response::json(409, &body)
        .with_header("content-type", "application/problem+json")
        .with_header("link", format!("<{href}>; rel=\"alternate\""))
        .with_header("content-language", language.tag())
}
