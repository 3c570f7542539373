//! Referrals: a resident's report filed as a case with the chosen partner
//! unit, worked by that unit's staff, followed by the resident.

mod handoff;
mod linkage;
pub mod model;
pub mod report;
pub mod routes;
