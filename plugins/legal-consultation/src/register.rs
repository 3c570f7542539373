//! The shared disputes register (矛盾纠纷排查台账): a mediation the judicial
//! office takes on is entered there, in the requester's community, so the
//! residents' committee and the police serving it see the dispute in their
//! own register; its status follows the mediation's end. The grant is
//! insert and update only, in the areas the judicial office serves: this
//! service never reads the register.

use onewindow_sdk::prelude::*;

use crate::mediation::MediationRow;

const TABLE: &str = "disputes";

/// The register's status while the units mediate, and after.
pub const MEDIATING: &str = "mediating";
pub const RESOLVED: &str = "resolved";
pub const UNRESOLVED: &str = "unresolved";

/// Enters the mediation in the register, in `area`; returns the row id.
pub fn enter(row: &MediationRow, area: &str) -> Result<i64> {
    let id = record(TABLE)
        .insert()
        .set("resident", row.requester.as_str())
        .set("area", area)
        .set("parties", format!("{} / {}", row.requester_name, row.other_party_name))
        .set("kind", row.kind.as_str())
        .set("status", MEDIATING)
        .set("summary", row.summary.as_str())
        .execute()?;
    Ok(id)
}

/// Sets the register row's status once the mediation ended.
pub fn close(id: i64, status: &str) -> Result<()> {
    record(TABLE).update().set("status", status).where_eq("id", id).execute()?;
    Ok(())
}
