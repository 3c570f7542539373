//! Cases and inbox messages: how this service's work shows in the
//! resident's "my cases", the desk's queue and the units' figures.
//!
//! - Every application opens an `application` case (RP-…, due in 15 days:
//!   the police issue within 15 days of acceptance) with the desk; the case
//!   follows the application: accepted and in progress when the review
//!   starts, on hold while more information is asked for, resumed on
//!   resubmission, completed on issue, rejected (or failed, once accepted)
//!   on refusal, cancelled on withdrawal.
//! - Every endorsement request opens an `endorsement` case (RPE-…, due in 5 days).
//!
//! The host tells the resident of every case status change; the templates
//! (`plugin.toml`) add what a status cannot say: the permit number, what is
//! missing, why refused.

use onewindow_sdk::DataError;
use onewindow_sdk::cases::{self, Case, Status};
use onewindow_sdk::prelude::*;

use crate::access::DESK_UNIT;

/// The case kind of an application.
pub const APPLICATION_CASE: &str = "application";
/// The case kind of an endorsement request.
pub const ENDORSEMENT_CASE: &str = "endorsement";

/// Opens a case of `kind` for `resident` with the desk.
pub fn open(kind: &str, resident: &str, data: serde_json::Value, note: &str) -> Result<Case> {
    Ok(cases::open(kind, resident, DESK_UNIT).data(&data).note(note).execute()?)
}

/// Where a case should end up after a move of this service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// Being worked (review started, or resumed after more information).
    InProgress,
    /// Waiting for the resident.
    OnHold,
    /// Done: the permit issued, the endorsement approved.
    Completed,
    /// Refused: rejected while still requested, failed once accepted.
    Refused,
    /// Withdrawn by the resident.
    Cancelled,
}

/// The case moves from `from` to `goal` through the host's model
/// (requested → accepted | rejected → in-progress ⇄ on-hold → completed |
/// failed; anything open may be cancelled). None from a closed case.
pub fn path(from: Status, goal: Goal) -> &'static [Status] {
    use Status::*;
    match (goal, from) {
        (_, Rejected | Completed | Cancelled | Failed) => &[],
        (Goal::Cancelled, _) => &[Cancelled],
        (Goal::InProgress, Requested) => &[Accepted, InProgress],
        (Goal::InProgress, Accepted | OnHold) => &[InProgress],
        (Goal::InProgress, InProgress) => &[],
        (Goal::OnHold, Requested) => &[Accepted, InProgress, OnHold],
        (Goal::OnHold, Accepted) => &[InProgress, OnHold],
        (Goal::OnHold, InProgress) => &[OnHold],
        (Goal::OnHold, OnHold) => &[],
        (Goal::Completed, Requested) => &[Accepted, InProgress, Completed],
        (Goal::Completed, Accepted | OnHold) => &[InProgress, Completed],
        (Goal::Completed, InProgress) => &[Completed],
        (Goal::Refused, Requested) => &[Rejected],
        (Goal::Refused, Accepted | OnHold) => &[InProgress, Failed],
        (Goal::Refused, InProgress) => &[Failed],
    }
}

/// Moves case `case_id` (if any) to `goal`, from wherever it is now. Staff
/// may have moved it in the staff console, or handed it to a unit this
/// service is not granted: such a move is skipped and logged, not failed
/// (the application's own status is what the resident and the desk
/// follow). A grant taken away from the service still fails the request.
pub fn follow(case_id: Option<i64>, goal: Goal, note: &str) -> Result<()> {
    let Some(id) = case_id else { return Ok(()) };
    let case = match cases::get(id) {
        Ok(case) => case,
        Err(error) => return tolerate::<Case>(id, "read", Err(error)),
    };
    for to in path(case.status, goal) {
        tolerate(id, cases::status_name(*to), cases::transition(id, *to, note))?;
    }
    Ok(())
}

/// Passes a case call's refusal on only when it is the service's fault.
fn tolerate<T>(id: i64, what: &str, outcome: std::result::Result<T, DataError>) -> Result<()> {
    let refusal = match outcome {
        Ok(_) => return Ok(()),
        Err(DataError::Conflict(why) | DataError::NotFound(why)) => why,
        // Not granted at all is the service's fault (a 500); a case now
        // led by another unit is a 403 and only means it is theirs now.
        Err(other) => match Error::from(other) {
            error if error.status() == 403 => error.detail().to_owned(),
            error => return Err(error),
        },
    };
    onewindow_sdk::log::warn(&format!("case {id}: {what} skipped: {refusal}"));
    Ok(())
}

/// Sends `template` to `resident`'s inbox with `params`.
pub fn tell(resident: &str, template: &str, params: &[(&str, &str)]) -> Result<()> {
    let mut message = onewindow_sdk::notify::send(resident, template);
    for (name, value) in params {
        message = message.param(name, *value);
    }
    Ok(message.execute()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_is_legal_in_the_hosts_model() {
        use Status::*;
        let next = |from: Status| -> &'static [Status] {
            match from {
                Requested => &[Accepted, Rejected, Cancelled],
                Accepted => &[InProgress, Cancelled],
                InProgress => &[OnHold, Completed, Failed, Cancelled],
                OnHold => &[InProgress, Cancelled],
                _ => &[],
            }
        };
        let goals = [Goal::InProgress, Goal::OnHold, Goal::Completed, Goal::Refused, Goal::Cancelled];
        for from in [Requested, Accepted, InProgress, OnHold, Rejected, Completed, Cancelled, Failed] {
            for goal in goals {
                let mut at = from;
                for to in path(from, goal) {
                    assert!(next(at).contains(to), "{from:?} → {goal:?}: {at:?} cannot become {to:?}");
                    at = *to;
                }
            }
        }
    }

    #[test]
    fn each_goal_lands_where_it_says() {
        use Status::*;
        assert_eq!(path(Requested, Goal::InProgress), [Accepted, InProgress]);
        assert_eq!(path(InProgress, Goal::OnHold), [OnHold]);
        assert_eq!(path(OnHold, Goal::InProgress), [InProgress]);
        assert_eq!(path(InProgress, Goal::Completed), [Completed]);
        assert_eq!(path(Requested, Goal::Refused), [Rejected]);
        assert_eq!(path(OnHold, Goal::Refused), [InProgress, Failed]);
        assert_eq!(path(OnHold, Goal::Cancelled), [Cancelled]);
        assert!(path(Completed, Goal::Cancelled).is_empty(), "a closed case stays closed");
    }
}
