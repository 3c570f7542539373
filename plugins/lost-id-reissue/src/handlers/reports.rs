//! Loss reports: a resident reports a lost card and it is recorded at once;
//! if the story shows signs of telecom fraud, the resident is warned in the
//! same answer and a consultation goes to the community police office.

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{now_rfc3339, today};
use serde::Serialize;

use crate::access::{DESK, Reader};
use crate::consultation::FROM_REPORT;
use crate::fraud;
use crate::handlers::{consultations, list as list_rows, load};
use crate::report::{NewReport, REPORTED_LOST, Report, TABLE};
use crate::warning::FraudWarning;

/// The answer to a new report.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ReportFiled {
    pub report: Report,
    /// Present when the report shows signs of telecom fraud: read it to the resident at once.
    pub fraud_warning: Option<FraudWarning>,
}

/// `POST /reports`: a resident reports their card lost.
pub fn file(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let resident = caller.subject.as_str();
    let new = NewReport::read(req.body_fields()?, today())?;
    let story = new.story();
    let signs = fraud::signs(&story);
    let now = now_rfc3339();
    let id = table(TABLE)
        .insert()
        .set("resident", resident)
        .set("lost_on", new.lost_on.as_str())
        .set("place", new.place.as_str())
        .set("circumstances", new.circumstances.as_str())
        .set("status", REPORTED_LOST)
        .set("fraud_signs", fraud::to_column(&signs))
        .set("reported_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    let fraud_warning = if signs.is_empty() {
        None
    } else {
        let consultation = consultations::open(resident, FROM_REPORT, Some(id), &story, &signs)?;
        table(TABLE).update().set("consultation_id", consultation).where_eq("id", id).execute()?;
        Some(FraudWarning::new(signs, req.language()))
    };
    let report = load(TABLE, Reader::Resident(resident), id)?;
    Ok(Response::json(201, &ReportFiled { report, fraud_warning }).with_header("location", format!("/reports/{id}")))
}

/// `GET /reports`: the resident's own, or (the desk) every report; `?status=`, paged.
pub fn list(req: &Request) -> Result<Response> {
    list_rows::<Report>(req, TABLE, Reader::of(req, DESK)?, &["status"])
}

/// `GET /reports/{id}`
pub fn show(req: &Request) -> Result<Response> {
    let reader = Reader::of(req, DESK)?;
    let report: Report = load(TABLE, reader, req.param_parse("id")?)?;
    Ok(Response::json(200, &report))
}
