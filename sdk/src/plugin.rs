//! What the plugin knows about itself: the service id it is installed as
//! and the unit that owns it (`plugin-info`, since platform 0.1.2).
//!
//! A partner's plugin serves its own unit's staff without hard-coding the
//! unit id, so the same build works wherever the platform installs it:
//!
//! ```no_run
//! use onewindow_sdk::prelude::*;
//!
//! fn queue(req: &Request) -> Result<Response> {
//!     let staff = req.require_staff_of_owner()?; // 403 for anyone else
//!     Ok(Response::json(200, &serde_json::json!({ "unit": staff.unit.as_ref().map(|u| &u.id) })))
//! }
//! ```

use crate::http::{Unit, UnitKind};

/// The service id the host installed this plugin as (the manifest's `id`).
pub fn service_id() -> String {
    crate::host::plugin_service_id()
}

/// The unit that uploaded this plugin and answers for it; `None` for the
/// platform's own (first-party) plugins.
pub fn owner_unit() -> Option<Unit> {
    crate::host::plugin_owner_unit()
}

/// Whether the owner is a partner unit (a utility company): reading a
/// resident's personal data then needs the resident's consent.
pub fn owned_by_partner() -> bool {
    owner_unit().is_some_and(|unit| unit.kind == UnitKind::Partner)
}
