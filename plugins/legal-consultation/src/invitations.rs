//! The other party answers the invitation the requester passed on. Only a
//! signed-in resident holding the code can join; a wrong, used or closed
//! code is simply not found, so nothing can be learned by guessing.

use onewindow_sdk::cases;
use onewindow_sdk::prelude::*;
use onewindow_sdk::time::now_rfc3339;
use serde::Serialize;

use crate::invitation;
use crate::mediation::{CONVENED, INVITATION_ACCEPTED, INVITATION_DECLINED, INVITATION_PENDING, MediationRow};
use crate::mediation::{OTHER_PARTY, PARTIES, REQUESTED, TABLE};
use crate::mediation_forms;
use crate::mediation_view::Part;
use crate::mediations::{changed, detail, load};

/// `POST /invitations/accept` `{"code": "..."}`: the other party joins the
/// mediation and follows it here from now on.
pub fn accept(req: &Request) -> Result<Response> {
    let me = req.require_role(Role::Resident)?.subject.as_str();
    let (code, _) = mediation_forms::read_invitation(req, false)?;
    let row = open_invitation(&code)?;
    if row.requester == me {
        return Err(Error::conflict("this is your own invitation: pass the code on to the other party"));
    }
    let case = cases::get(row.case_id.unwrap_or_default())?;
    let update = table(TABLE)
        .update()
        .set("other_party_account", me)
        .set("invitation_status", INVITATION_ACCEPTED)
        .set("invitation_code", None::<String>)
        .set("updated_at", now_rfc3339())
        .where_eq("id", row.id)
        .where_eq("invitation_status", INVITATION_PENDING);
    changed(update.execute()?)?;
    table(PARTIES).insert().set("mediation_id", row.id).set("account", me).set("role", OTHER_PARTY).execute()?;
    cases::note(case.id, "the other party accepted the invitation and follows the case online")?;
    Ok(Response::json(200, &detail(req, Part::OtherParty, load(row.id)?, case)?))
}

/// The answer to a declined invitation.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Declined {
    /// Always `declined`.
    pub invitation: String,
}

/// `POST /invitations/decline` `{"code": "...", "reason": "..."}`: the
/// other party does not take part (mediation is voluntary); the mediators
/// read it in the case's history.
pub fn decline(req: &Request) -> Result<Response> {
    let me = req.require_role(Role::Resident)?.subject.as_str();
    let (code, reason) = mediation_forms::read_invitation(req, true)?;
    let row = open_invitation(&code)?;
    if row.requester == me {
        return Err(Error::conflict("this is your own invitation: withdraw the request instead"));
    }
    let update = table(TABLE)
        .update()
        .set("invitation_status", INVITATION_DECLINED)
        .set("invitation_code", None::<String>)
        .set("updated_at", now_rfc3339())
        .where_eq("id", row.id)
        .where_eq("invitation_status", INVITATION_PENDING);
    changed(update.execute()?)?;
    let note = match reason {
        Some(reason) => format!("the other party declined the invitation to mediate: {reason}"),
        None => "the other party declined the invitation to mediate".to_owned(),
    };
    cases::note(row.case_id.unwrap_or_default(), &note)?;
    Ok(Response::json(200, &Declined { invitation: INVITATION_DECLINED.to_owned() }))
}

/// The open mediation waiting for `typed`, or 404.
fn open_invitation(typed: &str) -> Result<MediationRow> {
    let missing = || Error::not_found("no open invitation has this code");
    let code = invitation::normalize(typed).ok_or_else(missing)?;
    let found = table(TABLE)
        .all()
        .where_eq("invitation_code", code.as_str())
        .where_eq("invitation_status", INVITATION_PENDING)
        .fetch_optional()?
        .ok_or_else(missing)?;
    let row: MediationRow = found.deserialize()?;
    if row.status != REQUESTED && row.status != CONVENED {
        return Err(missing());
    }
    Ok(row)
}
