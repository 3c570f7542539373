//! The shared record ("collect once, use by many"), under the `caller`
//! scope of the manifest's `[[records]]` grants: only the signed-in
//! resident's own rows exist here.
//!
//! - `resident_profile`: pre-fills the application; the application and the
//!   registration write back what is new or changed.
//! - `floating_population`: the registration (arrival date, origin, reason,
//!   employer or school); the six-month clock reads its arrival date.
//! - `rental_housing`: the resident's registered leases.
//!
//! A resident may have several floating-population rows (one per move):
//! the newest is the current one.

use onewindow_sdk::prelude::*;
use serde_json::{Map, Value};

use crate::application::Form;
use crate::registration::NewRegistration;
use crate::rental::{NewRental, Rental};

const PROFILE: &str = "resident_profile";
const FLOATING: &str = "floating_population";
const RENTALS: &str = "rental_housing";

type Object = Map<String, Value>;

/// What the shared record holds about the caller (nothing for anyone but a resident).
#[derive(Debug, Default)]
pub struct Known {
    pub profile: Option<Object>,
    pub floating: Option<Object>,
}

impl Known {
    pub fn read(caller: &Caller) -> Result<Known> {
        if caller.role != Role::Resident {
            return Ok(Known::default());
        }
        Ok(Known {
            profile: newest(PROFILE, &["id", "name", "id_number", "phone", "current_address"])?,
            floating: newest(FLOATING, &["id", "arrival_date", "origin", "reason", "employer_or_school"])?,
        })
    }

    fn profile_text(&self, column: &str) -> &str {
        text(self.profile.as_ref(), column)
    }

    pub fn floating_text(&self, column: &str) -> &str {
        text(self.floating.as_ref(), column)
    }

    /// The application as far as the record knows it (empty where unknown).
    /// Version 0.2 wrote the reason `work`: it reads as `employment`.
    pub fn form(&self) -> Form {
        let optional = |column: &str| Some(self.floating_text(column).to_owned()).filter(|s| !s.is_empty());
        let reason = match self.floating_text("reason") {
            "work" => "employment",
            other => other,
        };
        Form {
            full_name: self.profile_text("name").to_owned(),
            id_number: self.profile_text("id_number").to_owned(),
            current_address: self.profile_text("current_address").to_owned(),
            arrival_date: self.floating_text("arrival_date").to_owned(),
            reason: reason.to_owned(),
            employer_or_school: optional("employer_or_school"),
            housing_type: None,
            housing_certificate: None,
            phone: self.profile_text("phone").to_owned(),
        }
    }

    /// The current address in the profile, if any.
    pub fn current_address(&self) -> Option<String> {
        Some(self.profile_text("current_address").to_owned()).filter(|s| !s.is_empty())
    }
}

/// The caller's newest row of `table`, as a JSON object.
fn newest(table: &str, columns: &[&str]) -> Result<Option<Object>> {
    let rows = record(table).select(columns).order_by("id").fetch()?.to_json();
    Ok(rows.as_array().and_then(|rows| rows.last()).and_then(Value::as_object).cloned())
}

fn text<'a>(row: Option<&'a Object>, column: &str) -> &'a str {
    row.and_then(|row| row.get(column)).and_then(Value::as_str).unwrap_or_default()
}

/// Makes `table`'s row `existing` say `values`: inserts the row when there
/// is none, else updates only the columns that changed. A `None` value says
/// nothing (it never erases what the record holds). True when inserted.
fn save(table: &str, existing: Option<&Object>, values: &[(&str, Option<&str>)]) -> Result<bool> {
    let given = values.iter().filter_map(|(column, value)| value.map(|v| (*column, v)));
    let Some(row) = existing else {
        let insert = given.fold(record(table).insert(), |insert, (column, value)| insert.set(column, value));
        insert.execute()?;
        return Ok(true);
    };
    let changed: Vec<(&str, &str)> = given.filter(|(column, value)| text(Some(row), column) != *value).collect();
    if !changed.is_empty() {
        let id = row.get("id").and_then(Value::as_i64).unwrap_or_default();
        let update = changed.iter().fold(record(table).update(), |update, (column, value)| update.set(column, *value));
        update.where_eq("id", id).execute()?;
    }
    Ok(false)
}

/// Writes back what an application says that the record does not: a new
/// profile or floating-population row, or the changed fields of the
/// existing ones. The ID number is only ever filled in, never replaced: a
/// form does not change who someone is (the desk checks it).
pub fn write_back(form: &Form, known: &Known) -> Result<()> {
    let id_number = known.profile_text("id_number").is_empty().then_some(form.id_number.as_str());
    save(
        PROFILE,
        known.profile.as_ref(),
        &[
            ("name", Some(&form.full_name)),
            ("id_number", id_number),
            ("phone", Some(&form.phone)),
            ("current_address", Some(&form.current_address)),
        ],
    )?;
    save(
        FLOATING,
        known.floating.as_ref(),
        &[
            ("arrival_date", Some(&form.arrival_date)),
            ("reason", Some(&form.reason)),
            ("employer_or_school", form.employer_or_school.as_deref()),
        ],
    )?;
    Ok(())
}

/// Records a floating-population registration and the profile's current
/// address. True when the registration is new (false: an update).
pub fn register(registration: &NewRegistration, known: &Known) -> Result<bool> {
    let created = save(
        FLOATING,
        known.floating.as_ref(),
        &[
            ("arrival_date", Some(&registration.arrival_date)),
            ("origin", Some(&registration.origin)),
            ("reason", Some(&registration.reason)),
            ("employer_or_school", registration.employer_or_school.as_deref()),
        ],
    )?;
    save(PROFILE, known.profile.as_ref(), &[("current_address", Some(&registration.current_address))])?;
    Ok(created)
}

/// Registers a lease for the caller; its id.
pub fn add_rental(rental: &NewRental) -> Result<i64> {
    Ok(record(RENTALS)
        .insert()
        .set("address", rental.address.as_str())
        .set("landlord_name", rental.landlord_name.as_str())
        .set("landlord_phone", rental.landlord_phone.as_str())
        .set("tenants", rental.tenants_text())
        .set("lease_start", rental.lease_start.as_str())
        .set("lease_end", rental.lease_end.as_str())
        .execute()?)
}

/// The caller's registered leases, oldest first.
pub fn rentals() -> Result<Vec<Object>> {
    let columns = ["id", "address", "landlord_name", "landlord_phone", "tenants", "lease_start", "lease_end"];
    let rows = record(RENTALS).select(&columns).order_by("id").fetch()?.to_json();
    Ok(rows.as_array().into_iter().flatten().filter_map(Value::as_object).cloned().collect())
}

/// One lease, as answered.
pub fn rental(row: &Object, today: onewindow_sdk::time::Date) -> Rental {
    let text = |column: &str| text(Some(row), column).to_owned();
    Rental::new(row.get("id").and_then(Value::as_i64).unwrap_or_default(), &text, today)
}
