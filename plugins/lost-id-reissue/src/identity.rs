//! The desk's identity check: do the name and ID number an applicant gave
//! match their shared resident profile?
//!
//! The grant is `resident_profile` read of `name` and `id_number` with the
//! `unit` row scope: only for the desk's staff, only for residents in the
//! areas their unit serves, each read in the resident's access log with
//! the manifest's purpose. The ID number is sealed at rest and is matched
//! exactly (through its blind index) in the query: the service never reads
//! the stored number back, only whether it equals the one applied with.

use onewindow_sdk::prelude::*;

const PROFILE: &str = "resident_profile";

/// What the check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// Name and ID number both match the profile.
    Matches,
    /// The resident has no profile the desk may see.
    NoProfile,
    /// The profile differs: which of the two.
    Differs { name: bool, id_number: bool },
}

impl Identity {
    /// Why an application cannot be accepted, for the desk (the profile's
    /// own values are never told).
    pub fn refusal(self) -> Option<String> {
        match self {
            Identity::Matches => None,
            Identity::NoProfile => Some(
                "the applicant has no shared profile this desk may see: ask them to fill in their profile \
                 (name, ID number, area) or to come in person, or reject the application"
                    .to_owned(),
            ),
            Identity::Differs { name, id_number } => {
                let fields: Vec<&str> = [("full_name", name), ("id_number", id_number)]
                    .iter()
                    .filter(|(_, d)| *d)
                    .map(|(f, _)| *f)
                    .collect();
                let verb = if fields.len() == 1 { "does" } else { "do" };
                Some(format!("the identity check failed: {} {verb} not match the shared profile", fields.join(" and ")))
            }
        }
    }
}

/// Checks `full_name` and `id_number` against `resident`'s profile.
pub fn check(resident: &str, full_name: &str, id_number: &str) -> Result<Identity> {
    let profile = record(PROFILE).select(&["id", "name"]).where_eq("resident", resident).fetch_optional()?;
    let Some(profile) = profile else { return Ok(Identity::NoProfile) };
    let name = profile.as_ref().text("name").unwrap_or_default().trim().to_owned();
    let same_number = record(PROFILE)
        .select(&["id"])
        .where_eq("resident", resident)
        .where_eq("id_number", id_number)
        .fetch_optional()?
        .is_some();
    if name == full_name.trim() && same_number {
        Ok(Identity::Matches)
    } else {
        Ok(Identity::Differs { name: name != full_name.trim(), id_number: !same_number })
    }
}
