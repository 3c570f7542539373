//! The bodies of the mediation routes, read field by field so a client
//! learns every bad field at once. Each body type documents its route in
//! `api.json`; the readers answer plain values.
#![allow(dead_code)] // the body types are read field by field; they document the bodies

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::DateTime;
use serde::Deserialize;

use crate::mediation::{COMMITTEES, is_area_id};
use crate::texts::{self, CATEGORIES, ROUTES};

/// A mediation request.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewMediation {
    /// family, labour, tenancy, neighbour, consumer, fraud or other.
    pub kind: String,
    /// What the dispute is about, 10 to 2000 characters.
    pub summary: String,
    /// Who the dispute is with, as the requester knows them (1 to 64 characters).
    pub other_party_name: String,
    /// How the mediators can reach them (a flat number, a phone), at most
    /// 200 characters; shown to staff and the requester only.
    pub other_party_contact: Option<String>,
    /// true: answer an invitation code to pass on, with which the other
    /// party (if they have an account) joins and follows the case here.
    pub invite_other_party: Option<bool>,
    /// The requester's community (area id), used only when their profile has none.
    pub area: Option<String>,
}

/// What a mediation request says, checked.
pub struct MediationForm {
    pub kind: &'static str,
    pub summary: String,
    pub other_party_name: String,
    pub other_party_contact: Option<String>,
    pub invite: bool,
    pub area: Option<String>,
}

pub fn read_new(req: &Request) -> Result<MediationForm> {
    let mut body = req.body_fields()?;
    let kind = body.required_text("kind");
    let summary = body.required_text("summary");
    let name = body.required_text("other_party_name");
    let contact = body.optional_text("other_party_contact");
    let invite = body.optional_bool("invite_other_party");
    let area = body.optional_text("area");
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    let kind = kind.and_then(|k| problems.one_of("kind", &k, &texts::codes(&CATEGORIES)));
    length(&mut problems, "summary", summary.as_deref(), 10, 2000);
    length(&mut problems, "other_party_name", name.as_deref(), 1, 64);
    length(&mut problems, "other_party_contact", contact.as_deref(), 1, 200);
    problems.check(area.as_deref().is_none_or(is_area_id), "area", "must be an area id such as east-gate");
    problems.into_result()?;
    Ok(MediationForm {
        kind: kind.unwrap_or_default(),
        summary: summary.unwrap_or_default(),
        other_party_name: name.unwrap_or_default(),
        other_party_contact: contact,
        invite: invite.unwrap_or(false),
        area,
    })
}

/// The judicial office convenes the three units.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Convene {
    /// `community-east` or `community-west`; by default the committee of the requester's area.
    pub committee: Option<String>,
    /// The requester's area, when the platform does not know it (required then).
    pub area: Option<String>,
    /// A note for the history, at most 500 characters.
    pub note: Option<String>,
}

pub struct ConveneForm {
    pub committee: Option<&'static str>,
    pub area: Option<String>,
    pub note: Option<String>,
}

pub fn read_convene(req: &Request) -> Result<ConveneForm> {
    if req.body().is_empty() {
        return Ok(ConveneForm { committee: None, area: None, note: None });
    }
    let mut body = req.body_fields()?;
    let committee = body.optional_text("committee");
    let area = body.optional_text("area");
    let note = body.optional_text("note");
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    let committee = committee.and_then(|c| problems.one_of("committee", &c, &COMMITTEES));
    problems.check(area.as_deref().is_none_or(is_area_id), "area", "must be an area id such as east-gate");
    length(&mut problems, "note", note.as_deref(), 1, 500);
    problems.into_result()?;
    Ok(ConveneForm { committee, area, note })
}

/// A session: scheduled ahead, or recorded as held (with `attendees`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewSession {
    /// When, RFC 3339 with its offset (`2026-12-03T09:30:00+08:00`): in the
    /// future for a session scheduled ahead, not in the future for one recorded as held.
    pub scheduled_for: String,
    /// Where, 2 to 200 characters.
    pub place: String,
    /// Who attended (1 to 30 names with their part, each at most 100
    /// characters): the session is recorded as held.
    pub attendees: Option<Vec<String>>,
    /// What happened, at most 2000 characters (staff only).
    pub notes: Option<String>,
}

pub struct SessionForm {
    pub at: DateTime,
    pub place: String,
    pub attendees: Option<Vec<String>>,
    pub notes: Option<String>,
}

pub fn read_session(req: &Request, now_unix: i64) -> Result<SessionForm> {
    let mut body = req.body_fields()?;
    let at = body.required_text("scheduled_for");
    let place = body.required_text("place");
    let attendees = body.optional::<Vec<String>>("attendees");
    let notes = body.optional_text("notes");
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    let at = at.and_then(|at| problems.date_time("scheduled_for", &at));
    length(&mut problems, "place", place.as_deref(), 2, 200);
    let attendees = attendees.map(|list| check_attendees(&mut problems, list));
    length(&mut problems, "notes", notes.as_deref(), 1, 2000);
    if let Some(at) = &at {
        let (held, future) = (attendees.is_some(), at.unix_seconds() > now_unix);
        problems.check(!held || !future, "scheduled_for", "a session recorded as held cannot be in the future");
        problems.check(held || future, "scheduled_for", "a session scheduled ahead must be in the future");
    }
    problems.into_result()?;
    let at = at.ok_or_else(|| Error::internal("a checked time went missing"))?;
    Ok(SessionForm { at, place: place.unwrap_or_default(), attendees, notes })
}

/// A scheduled session recorded as held.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Held {
    /// Who attended, 1 to 30 names with their part, each at most 100 characters.
    pub attendees: Vec<String>,
    /// What happened, at most 2000 characters (staff only).
    pub notes: Option<String>,
}

pub fn read_held(req: &Request) -> Result<(Vec<String>, Option<String>)> {
    let mut body = req.body_fields()?;
    let attendees = body.required::<Vec<String>>("attendees");
    let notes = body.optional_text("notes");
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    let attendees = attendees.map(|list| check_attendees(&mut problems, list));
    length(&mut problems, "notes", notes.as_deref(), 1, 2000);
    problems.into_result()?;
    Ok((attendees.unwrap_or_default(), notes))
}

/// How the mediation ended, recorded by the judicial office.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NewOutcome {
    /// `agreement` or `no-agreement`.
    pub result: String,
    /// For an agreement: the terms of the written mediation agreement
    /// (调解协议书), 10 to 4000 characters.
    pub terms: Option<String>,
    /// Without agreement: why (5 to 500 characters).
    pub reason: Option<String>,
    /// Without agreement: the routes the parties were told of, at least one
    /// of arbitration, litigation, administrative, legal-aid.
    pub routes_told: Option<Vec<String>>,
}

/// An outcome, checked.
pub enum Outcome {
    Agreement { terms: String },
    NoAgreement { reason: String, routes: Vec<&'static str> },
}

pub fn read_outcome(req: &Request) -> Result<Outcome> {
    let mut body = req.body_fields()?;
    let result = body.required_text("result");
    let terms = body.optional_text("terms");
    let reason = body.optional_text("reason");
    let routes = body.optional::<Vec<String>>("routes_told");
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    let result = result.and_then(|r| problems.one_of("result", &r, &["agreement", "no-agreement"]));
    match result {
        Some("agreement") => {
            problems.check(terms.is_some(), "terms", "is required for an agreement");
            length(&mut problems, "terms", terms.as_deref(), 10, 4000);
            problems.check(reason.is_none(), "reason", "is only for a mediation without agreement");
            problems.into_result()?;
            Ok(Outcome::Agreement { terms: terms.unwrap_or_default() })
        }
        None => Err(problems.into_result().err().unwrap_or_else(|| Error::internal("an unread result"))),
        Some(_) => {
            problems.check(terms.is_none(), "terms", "are only for an agreement");
            problems.check(reason.is_some(), "reason", "is required without agreement");
            length(&mut problems, "reason", reason.as_deref(), 5, 500);
            let codes = texts::codes(&ROUTES);
            let mut told: Vec<&'static str> = Vec::new();
            match routes {
                Some(list) if !list.is_empty() => {
                    for route in &list {
                        if let Some(code) = problems.one_of("routes_told", route, &codes)
                            && !told.contains(&code)
                        {
                            told.push(code);
                        }
                    }
                }
                _ => problems.add("routes_told", "name at least one route the parties were told of"),
            }
            problems.into_result()?;
            Ok(Outcome::NoAgreement { reason: reason.unwrap_or_default(), routes: told })
        }
    }
}

/// An invitation code, to accept or decline.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct InvitationAnswer {
    /// The code the requester passed on (`ABCDE-23456`; case, spaces and hyphens do not matter).
    pub code: String,
    /// Declining only: why, at most 500 characters (the mediators read it).
    pub reason: Option<String>,
}

pub fn read_invitation(req: &Request, declining: bool) -> Result<(String, Option<String>)> {
    let mut body = req.body_fields()?;
    let code = body.required_text("code");
    let reason = if declining { body.optional_text("reason") } else { None };
    body.deny_unknown();
    let mut problems = body.into_field_errors();
    length(&mut problems, "reason", reason.as_deref(), 1, 500);
    problems.into_result()?;
    Ok((code.unwrap_or_default(), reason))
}

/// A note on the case's history.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Note {
    /// 1 to 2000 characters.
    pub note: String,
}

/// A reason, required.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Reason {
    /// 1 to 500 characters.
    pub reason: String,
}

fn check_attendees(problems: &mut FieldErrors, list: Vec<String>) -> Vec<String> {
    let list: Vec<String> = list.into_iter().map(|a| a.trim().to_owned()).collect();
    problems.check((1..=30).contains(&list.len()), "attendees", "must name 1 to 30 people");
    let ok = list.iter().all(|a| (1..=100).contains(&a.chars().count()));
    problems.check(ok, "attendees", "each must be 1 to 100 characters");
    list
}

fn length(problems: &mut FieldErrors, field: &str, text: Option<&str>, min: usize, max: usize) {
    if let Some(text) = text {
        let len = text.chars().count();
        problems.check((min..=max).contains(&len), field, format!("must be {min} to {max} characters"));
    }
}
