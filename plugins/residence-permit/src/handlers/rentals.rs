//! `POST /rentals` and `GET /rentals`: the caller's rental-housing
//! registrations, kept in the shared record (`rental_housing`).

use onewindow_sdk::prelude::*;
use onewindow_sdk::time::today;

use crate::rental::{NewRental, Rental};
use crate::shared;

/// `POST /rentals`: registers a lease the caller rents; 201 with it.
pub fn add(req: &Request) -> Result<Response> {
    req.require_role(Role::Resident)?;
    let today = today();
    let lease = NewRental::read(req.body_fields()?, today)?;
    let id = shared::add_rental(&lease)?;
    let stored = shared::rentals()?
        .into_iter()
        .find(|row| row.get("id").and_then(|v| v.as_i64()) == Some(id))
        .ok_or_else(|| Error::internal("the lease just registered cannot be read back"))?;
    Ok(Response::json(201, &shared::rental(&stored, today)))
}

/// `GET /rentals`: the caller's registered leases, newest first, paged.
pub fn list(req: &Request) -> Result<Response> {
    req.require_role(Role::Resident)?;
    let page = Page::from_request(req, 20, 100)?;
    let today = today();
    let rows = shared::rentals()?;
    let total = rows.len() as u64;
    let items: Vec<Rental> = rows
        .iter()
        .rev()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .map(|row| shared::rental(row, today))
        .collect();
    Ok(page.respond(&items, total))
}
