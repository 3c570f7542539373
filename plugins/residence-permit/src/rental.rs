//! Rental-housing registration (出租房屋登记): a tenant registers the lease
//! of the home they rent, the proof a `residence` application names.

use onewindow_sdk::time::Date;
use onewindow_sdk::{BodyFields, Result};
use serde::Serialize;

use crate::application::check_length;

/// At most this many tenants on one lease.
pub const MAX_TENANTS: usize = 20;

/// A lease, read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRental {
    pub address: String,
    pub landlord_name: String,
    pub landlord_phone: String,
    pub tenants: Vec<String>,
    pub lease_start: String,
    pub lease_end: String,
}

impl NewRental {
    /// Reads a lease, naming every bad field at once: the lease must end
    /// after it starts, and not before today (an ended lease proves nothing).
    pub fn read(mut body: BodyFields, today: Date) -> Result<NewRental> {
        let address = body.required_text("address");
        if let Some(address) = &address {
            check_length(&mut body, "address", address, 5, 200);
        }
        let landlord_name = body.required_text("landlord_name");
        if let Some(name) = &landlord_name {
            check_length(&mut body, "landlord_name", name, 1, 64);
        }
        let landlord_phone = body.required_text("landlord_phone");
        let landlord_phone = landlord_phone.and_then(|p| body.errors().phone("landlord_phone", &p));
        let tenants = body
            .required::<Vec<String>>("tenants")
            .map(|names| names.iter().map(|n| n.trim().to_owned()).collect::<Vec<_>>());
        body.check(
            tenants.as_ref().is_none_or(|names| {
                (1..=MAX_TENANTS).contains(&names.len()) && names.iter().all(|n| (1..=64).contains(&n.chars().count()))
            }),
            "tenants",
            format!("must list 1 to {MAX_TENANTS} names of 1 to 64 characters"),
        );
        let start = body.required_text("lease_start");
        let start = start.and_then(|s| body.errors().date("lease_start", &s));
        let end = body.required_text("lease_end");
        let end = end.and_then(|e| body.errors().date("lease_end", &e));
        if let Some(end) = end {
            body.check(start.is_none_or(|start| end > start), "lease_end", "must be after lease_start");
            body.check(end >= today, "lease_end", "must not be in the past");
        }
        body.deny_unknown();
        body.finish()?;
        Ok(NewRental {
            address: address.unwrap_or_default(),
            landlord_name: landlord_name.unwrap_or_default(),
            landlord_phone: landlord_phone.unwrap_or_default(),
            tenants: tenants.unwrap_or_default(),
            lease_start: start.map(|d| d.to_string()).unwrap_or_default(),
            lease_end: end.map(|d| d.to_string()).unwrap_or_default(),
        })
    }

    /// The tenants as the shared record's text column holds them: a JSON array of names.
    pub fn tenants_text(&self) -> String {
        serde_json::to_string(&self.tenants).unwrap_or_default()
    }
}

/// A registered lease, as answered.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Rental {
    pub id: i64,
    pub address: String,
    pub landlord_name: String,
    pub landlord_phone: String,
    pub tenants: Vec<String>,
    pub lease_start: String,
    pub lease_end: String,
    /// The lease covers today.
    pub current: bool,
}

impl Rental {
    /// From a shared-record row (`text` reads a column; rows written by
    /// other services may hold tenants as plain text).
    pub fn new(id: i64, text: &dyn Fn(&str) -> String, today: Date) -> Rental {
        let tenants_text = text("tenants");
        let tenants = serde_json::from_str(&tenants_text)
            .unwrap_or_else(|_| if tenants_text.is_empty() { Vec::new() } else { vec![tenants_text] });
        let (start, end) = (Date::parse(&text("lease_start")), Date::parse(&text("lease_end")));
        let current = start.is_some_and(|s| s <= today) && end.is_some_and(|e| today <= e);
        Rental {
            id,
            address: text("address"),
            landlord_name: text("landlord_name"),
            landlord_phone: text("landlord_phone"),
            tenants,
            lease_start: text("lease_start"),
            lease_end: text("lease_end"),
            current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> Date {
        Date::parse("2026-11-27").unwrap()
    }

    #[test]
    fn a_lease_is_read_and_every_bad_field_named() {
        let good = json!({ "address": "Room 3, 12 Jiefang South Road", "landlord_name": "Mahmut Ali",
                           "landlord_phone": "139 0013 9000", "tenants": ["Aygül Tursun", " Erkin Tursun "],
                           "lease_start": "2026-06-01", "lease_end": "2027-05-31" });
        let lease = NewRental::read(BodyFields::from_value(good).unwrap(), today()).unwrap();
        assert_eq!(lease.landlord_phone, "13900139000");
        assert_eq!(lease.tenants_text(), r#"["Aygül Tursun","Erkin Tursun"]"#);

        let bad = json!({ "address": "x", "landlord_phone": "call me", "tenants": [],
                          "lease_start": "2026-06-01", "lease_end": "2026-05-31", "rent": 900 });
        let error = NewRental::read(BodyFields::from_value(bad).unwrap(), today()).unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["address", "landlord_name", "landlord_phone", "tenants", "lease_end", "rent"],
            "each field once"
        );
    }

    #[test]
    fn tenants_written_as_plain_text_by_others_read_as_one_name() {
        let row = |column: &str| match column {
            "tenants" => "Aygül Tursun".to_owned(),
            "lease_start" => "2026-01-01".to_owned(),
            "lease_end" => "2026-12-31".to_owned(),
            _ => String::new(),
        };
        let rental = Rental::new(4, &row, today());
        assert_eq!(rental.tenants, ["Aygül Tursun"]);
        assert!(rental.current);
    }
}
