//! The mediation routes: a resident requests; the judicial office convenes
//! the residents' committee and the community police office on one case
//! (or declines); the judicial office records how it ended. Parties see
//! their own mediations; staff see the mediations whose case their unit is on.

use onewindow_sdk::cases::{self, Case, Status};
use onewindow_sdk::notify;
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::{now_rfc3339, today};

use crate::access::{self, JUDICIAL_OFFICE, POLICE_OFFICE, Viewer};
use crate::case_flow::{self, Parties};
use crate::forms;
use crate::invitation;
use crate::mediation::{self, MediationRow, SessionRow};
use crate::mediation::{AGREED, CASE_KIND, CONVENED, DECLINED, MOVES, NO_AGREEMENT, PARTIES, REQUESTED};
use crate::mediation::{INVITATION_NONE, INVITATION_PENDING, REQUESTER, SESSIONS, STATUSES, TABLE, WITHDRAWN};
use crate::mediation_forms::{self, Outcome};
use crate::mediation_view::{self, Extras, Mediation, Part};
use crate::register;

/// Days the parties have to ask the court for judicial confirmation (人民调解法 第三十三条).
const CONFIRMATION_DAYS: i64 = 30;

/// `POST /mediations`: a resident requests mediation of a dispute; a case
/// opens with the judicial office.
pub fn open(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let form = mediation_forms::read_new(req)?;
    let area = profile_area()?.or(form.area);
    let code = form.invite.then(invitation::new_code);
    let now = now_rfc3339();
    let id = table(TABLE)
        .insert()
        .set("requester", caller.subject.as_str())
        .set("requester_name", caller.display_name.as_str())
        .set("kind", form.kind)
        .set("summary", form.summary.as_str())
        .set("other_party_name", form.other_party_name.as_str())
        .set("other_party_contact", form.other_party_contact)
        .set("invitation_code", code.clone())
        .set("invitation_status", if code.is_some() { INVITATION_PENDING } else { INVITATION_NONE })
        .set("area", area)
        .set("status", REQUESTED)
        .set("requested_at", now.as_str())
        .set("updated_at", now.as_str())
        .execute()?;
    table(PARTIES)
        .insert()
        .set("mediation_id", id)
        .set("account", caller.subject.as_str())
        .set("role", REQUESTER)
        .execute()?;
    let case = cases::open(CASE_KIND, caller.subject.as_str(), JUDICIAL_OFFICE)
        .data(&serde_json::json!({ "mediation": id }))
        .note(&format!("mediation of a {} dispute requested online", form.kind))
        .execute()?;
    table(TABLE)
        .update()
        .set("case_id", case.id)
        .set("case_reference", case.reference.as_str())
        .where_eq("id", id)
        .execute()?;
    let answer = detail(req, Part::Requester, load(id)?, case)?;
    Ok(Response::json(201, &answer).with_header("location", format!("/mediations/{id}")))
}

/// `GET /mediations`: a resident's own (as requester or joined other
/// party); the judicial office's all; a committee's or police office's
/// those it was convened to. `?status=` (staff), `?limit=`, `?offset=`.
pub fn list(req: &Request) -> Result<Response> {
    let viewer = Viewer::of(req)?;
    let mut problems = FieldErrors::new();
    let page = forms::page(req, &mut problems);
    let status = req.query_param("status");
    let status = match viewer {
        Viewer::Resident(_) => {
            let message = "is for staff queues; residents list all their mediations";
            problems.check(status.is_none(), "status", message);
            None
        }
        Viewer::Staff { .. } => status.and_then(|s| problems.one_of("status", &s, &STATUSES)),
    };
    problems.into_result()?;
    let page = page.ok_or_else(|| Error::internal("a checked page went missing"))?;
    let language = req.language();
    if let Viewer::Resident(me) = viewer {
        let mine = table(PARTIES)
            .all()
            .where_eq("account", me)
            .order_by_desc("mediation_id")
            .limit(page.limit)
            .offset(page.offset)
            .fetch()?;
        let total = table(PARTIES).count().where_eq("account", me).execute()?;
        let ids: Vec<i64> = mine.iter().filter_map(|p| p.integer("mediation_id")).collect();
        let rows: Vec<MediationRow> = if ids.is_empty() {
            Vec::new()
        } else {
            table(TABLE).all().where_in("id", ids).order_by_desc("id").fetch()?.deserialize()?
        };
        let items: Vec<Mediation> = rows
            .into_iter()
            .map(|row| {
                let part = if row.requester == me { Part::Requester } else { Part::OtherParty };
                mediation_view::view(row, part, language, None)
            })
            .collect();
        return Ok(page.respond(&items, total));
    }
    let mut query = table(TABLE).all().order_by_desc("id").limit(page.limit).offset(page.offset);
    let mut count = table(TABLE).count();
    match viewer {
        Viewer::Staff { unit: JUDICIAL_OFFICE, .. } => {}
        Viewer::Staff { unit, kind: UnitKind::Community, .. } => {
            query = query.where_eq("committee_unit", unit);
            count = count.where_eq("committee_unit", unit);
        }
        Viewer::Staff { unit, kind: UnitKind::Police, .. } => {
            query = query.where_eq("police_unit", unit);
            count = count.where_eq("police_unit", unit);
        }
        _ => return Err(Error::forbidden("mediations are worked by the judicial office, committees and police")),
    }
    if let Some(status) = status {
        query = query.where_eq("status", status);
        count = count.where_eq("status", status);
    }
    let rows: Vec<MediationRow> = query.fetch()?.deserialize()?;
    let items: Vec<Mediation> =
        rows.into_iter().map(|row| mediation_view::view(row, Part::Staff, language, None)).collect();
    Ok(page.respond(&items, count.execute()?))
}

/// `GET /mediations/{id}`: the mediation with its sessions, outcome and history.
pub fn show(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    Ok(Response::json(200, &detail(req, part, row, case)?))
}

/// `POST /mediations/{id}/convene`: the judicial office takes the
/// mediation on, brings in the residents' committee of the requester's
/// community and the community police office (one case, three units), and
/// enters the dispute in the shared disputes register.
pub fn convene(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    access::staff_leading(req, &case)?;
    let form = mediation_forms::read_convene(req)?;
    MOVES.check(&row.status, CONVENED)?;
    let area = form.area.or_else(|| row.area.clone());
    let committee = form.committee.or_else(|| area.as_deref().and_then(mediation::committee_for));
    let mut problems = FieldErrors::new();
    problems.check(area.is_some(), "area", "the requester's community is not known: give its area id");
    let named = committee.is_some() || area.is_none();
    problems.check(named, "committee", "no committee is known to serve this area: name one");
    problems.into_result()?;
    let (area, committee) = (area.unwrap_or_default(), committee.unwrap_or_default());

    let moves = case_flow::moves_to_in_progress(&case)?;
    case_flow::apply(&case, moves, form.note.as_deref().unwrap_or("taken on for people's mediation"))?;
    for unit in [committee, POLICE_OFFICE] {
        if !case.units.iter().any(|u| u == unit) {
            cases::refer(case.id, unit, true, "brought in to mediate together (三调联动)")?;
        }
    }
    let record = register::enter(&row, &area)?;
    let update = table(TABLE)
        .update()
        .set("status", CONVENED)
        .set("area", area.as_str())
        .set("committee_unit", committee)
        .set("police_unit", POLICE_OFFICE)
        .set("dispute_record_id", record)
        .set("updated_at", now_rfc3339())
        .where_eq("id", row.id)
        .where_eq("status", REQUESTED);
    changed(update.execute()?)?;
    Ok(Response::json(200, &detail(req, part, load(row.id)?, cases::get(case.id)?)?))
}

/// `POST /mediations/{id}/decline` `{"reason": "..."}`: the judicial office
/// does not take the mediation up, and tells the parties why and what else
/// they can do.
pub fn decline(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    access::staff_leading(req, &case)?;
    let reason = forms::short_text(req, "reason", true, 500)?.unwrap_or_default();
    MOVES.check(&row.status, DECLINED)?;
    case_flow::check_final(&case, &[], Status::Rejected)?;
    case_flow::apply(&case, &[Status::Rejected], &reason)?;
    let update = table(TABLE)
        .update()
        .set("status", DECLINED)
        .set("decline_reason", reason.as_str())
        .set("invitation_code", None::<String>)
        .set("updated_at", now_rfc3339())
        .where_eq("id", row.id)
        .where_eq("status", REQUESTED);
    changed(update.execute()?)?;
    for resident in row.residents() {
        notify::send(resident, "mediation-declined")
            .param("reference", case.reference.as_str())
            .param("reason", reason.as_str())
            .execute()?;
    }
    Ok(Response::json(200, &detail(req, part, load(row.id)?, cases::get(case.id)?)?))
}

/// `POST /mediations/{id}/withdraw` `{"reason": "..."}`: the requester
/// withdraws before the units convene. Afterwards a party who wants to stop
/// tells the mediators, who record the mediation as ended without agreement.
pub fn withdraw(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    if part != Part::Requester {
        return Err(Error::forbidden("only the requester may withdraw a mediation request"));
    }
    let reason = forms::short_text(req, "reason", false, 500)?;
    if row.status == CONVENED {
        return Err(Error::conflict(
            "the mediation has begun: tell the mediators you wish to end it, and the judicial office records it as ended without agreement",
        ));
    }
    MOVES.check(&row.status, WITHDRAWN)?;
    case_flow::check_final(&case, &[], Status::Cancelled)?;
    case_flow::apply(&case, &[Status::Cancelled], reason.as_deref().unwrap_or("withdrawn by the requester"))?;
    let update = table(TABLE)
        .update()
        .set("status", WITHDRAWN)
        .set("invitation_code", None::<String>)
        .set("updated_at", now_rfc3339())
        .where_eq("id", row.id)
        .where_eq("status", REQUESTED);
    changed(update.execute()?)?;
    Ok(Response::json(200, &detail(req, part, load(row.id)?, cases::get(case.id)?)?))
}

/// `POST /mediations/{id}/outcome`: the judicial office records how the
/// mediation ended — a written agreement with its terms (the case is
/// completed), or none, why, and the routes the parties were told of (the
/// case ends as failed) — and tells the parties.
pub fn outcome(req: &Request) -> Result<Response> {
    let (part, row, case) = visible(req)?;
    let (subject, _) = access::staff_leading(req, &case)?;
    let outcome = mediation_forms::read_outcome(req)?;
    let (status, last) = match outcome {
        Outcome::Agreement { .. } => (AGREED, Status::Completed),
        Outcome::NoAgreement { .. } => (NO_AGREEMENT, Status::Failed),
    };
    MOVES.check(&row.status, status)?;
    if status == AGREED && held_sessions(row.id)? == 0 {
        return Err(Error::conflict("record the session at which the parties agreed before the agreement"));
    }
    let moves = case_flow::moves_to_in_progress(&case)?;
    case_flow::check_final(&case, moves, last)?;
    let deadline = today().add_days(CONFIRMATION_DAYS).to_string();
    let now = now_rfc3339();
    let mut update = table(TABLE)
        .update()
        .set("status", status)
        .set("outcome_at", now.as_str())
        .set("outcome_by", subject)
        // An invitation nobody answered can no longer be: its code is void.
        .set("invitation_code", None::<String>)
        .set("updated_at", now.as_str());
    let note = match &outcome {
        Outcome::Agreement { terms } => {
            update = update
                .set("result", "agreement")
                .set("agreement_terms", terms.as_str())
                .set("confirmation_deadline", deadline.as_str());
            format!("mediation agreement made; judicial confirmation may be sought until {deadline}")
        }
        Outcome::NoAgreement { reason, routes } => {
            let told = serde_json::to_string(routes).unwrap_or_default();
            update = update
                .set("result", "no-agreement")
                .set("no_agreement_reason", reason.as_str())
                .set("routes_told", told);
            format!("no agreement: {reason}; the parties were told of: {}", routes.join(", "))
        }
    };
    let all: Vec<Status> = moves.iter().copied().chain([last]).collect();
    case_flow::apply(&case, &all, &note)?;
    if let Some(record) = row.dispute_record_id {
        register::close(record, if status == AGREED { register::RESOLVED } else { register::UNRESOLVED })?;
    }
    changed(update.where_eq("id", row.id).where_eq("status", CONVENED).execute()?)?;
    for resident in row.residents() {
        let message = match &outcome {
            Outcome::Agreement { .. } => {
                notify::send(resident, "mediation-agreement").param("deadline", deadline.as_str())
            }
            Outcome::NoAgreement { reason, .. } => {
                notify::send(resident, "mediation-no-agreement").param("reason", reason.as_str())
            }
        };
        message.param("reference", case.reference.as_str()).execute()?;
    }
    Ok(Response::json(200, &detail(req, part, load(row.id)?, cases::get(case.id)?)?))
}

/// How many sessions of a mediation were held.
fn held_sessions(id: i64) -> Result<u64> {
    Ok(table(SESSIONS).count().where_eq("mediation_id", id).where_eq("status", mediation::HELD).execute()?)
}

/// The requester's community from their shared profile, if known.
fn profile_area() -> Result<Option<String>> {
    let profile = record("resident_profile").select(&["area"]).fetch_optional()?;
    Ok(profile.and_then(|p| p.as_ref().text("area").map(str::to_owned)))
}

/// 409 when a conditional update found the row changed meanwhile.
pub fn changed(rows: u64) -> Result<()> {
    if rows == 0 {
        return Err(Error::conflict("the mediation changed meanwhile; read it again"));
    }
    Ok(())
}

pub fn load(id: i64) -> Result<MediationRow> {
    match table(TABLE).all().where_eq("id", id).fetch_optional()? {
        Some(row) => row.deserialize(),
        None => Err(Error::not_found(format!("no mediation {id}"))),
    }
}

/// The mediation `{id}` if the caller may see it: a party to it, or staff
/// of a unit on its case (anyone else: 404), with the caller's part and the case.
pub fn visible(req: &Request) -> Result<(Part, MediationRow, Case)> {
    let viewer = Viewer::of(req)?;
    let id: i64 = req.param_parse("id")?;
    let missing = || Error::not_found(format!("no mediation {id}"));
    let row = load(id)?;
    let part = match viewer {
        Viewer::Resident(me) if row.requester == me => Part::Requester,
        Viewer::Resident(me) if row.other_party_account.as_deref() == Some(me) => Part::OtherParty,
        Viewer::Resident(_) => return Err(missing()),
        Viewer::Staff { .. } => Part::Staff,
    };
    let case = cases::get(row.case_id.ok_or_else(missing)?)?;
    if part == Part::Staff {
        access::staff_on_case(req, &case)?;
    }
    Ok((part, row, case))
}

/// The mediation with its sessions and history, as `part` reads it.
pub fn detail(req: &Request, part: Part, row: MediationRow, case: Case) -> Result<Mediation> {
    let sessions: Vec<SessionRow> =
        table(SESSIONS).all().where_eq("mediation_id", row.id).order_by("id").limit(1000).fetch()?.deserialize()?;
    let entries = cases::history(case.id)?;
    let viewer = req.require_caller()?.subject.as_str();
    let parties =
        Parties { viewer, requester: row.requester.as_str(), other_party: row.other_party_account.as_deref() };
    let history = case_flow::history(entries, (part != Part::Staff).then_some(&parties));
    Ok(mediation_view::view(row, part, req.language(), Some(Extras { case, sessions, history })))
}
