//! `POST /registration` and `GET /registration`: the newcomer's
//! floating-population registration, kept in the shared record (the
//! `floating_population` row and the profile's current address).

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::today;

use crate::handlers::localized;
use crate::registration::{NewRegistration, Registration};
use crate::shared::{self, Known};

/// `POST /registration`: records (or updates) the caller's registration;
/// 201 when new, 200 when it changed an existing one.
pub fn register(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let language = req.language();
    let registration = NewRegistration::read(req.body_fields()?, today())?;
    let known = Known::read(caller)?;
    let created = shared::register(&registration, &known)?;
    let stored = Registration::of(&Known::read(caller)?, today(), language)
        .ok_or_else(|| Error::internal("the registration just written cannot be read back"))?;
    Ok(localized(if created { 201 } else { 200 }, &stored, language))
}

/// `GET /registration`: the caller's registration, or 404 before they register.
pub fn show(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let language = req.language();
    match Registration::of(&Known::read(caller)?, today(), language) {
        Some(registration) => Ok(localized(200, &registration, language)),
        None => Err(Error::not_found("no floating-population registration yet: register first")),
    }
}
