//! The routes, one module per area, and what they share: loading a row the
//! caller may see, listing rows a page at a time, and moving a row from one
//! status to the next without losing a concurrent change.
//!
//! Every precondition (auth 401/403, body 422, row 404, move 409) is
//! checked before the first write: a 4xx answer commits what was written,
//! so a refusal must have written nothing. After the first write, a
//! failure is a 5xx, which undoes everything.

pub mod applications;
pub mod endorsements;
pub mod permits;
pub mod registration;
pub mod rentals;
pub mod requirements;

use onewindow_sdk::data::Update;
use onewindow_sdk::prelude::*;
use serde::de::DeserializeOwned;

use crate::access::Reader;

/// Row `id` of `table_name` if `reader` may see it (`owner`: the column
/// naming its resident), else 404: another resident's row does not exist
/// for them.
pub fn load<T: DeserializeOwned>(table_name: &str, owner: &str, reader: Reader<'_>, id: i64) -> Result<T> {
    match reader.filter(table(table_name).all().where_eq("id", id), owner).fetch_optional()? {
        Some(row) => row.deserialize(),
        None => Err(Error::not_found(format!("no {} {id}", singular(table_name)))),
    }
}

/// A page of `table_name`'s rows that `reader` may see, newest first,
/// narrowed by the `fixed` conditions and by the text query parameters
/// named in `filters` (e.g. `?status=`); with the page and the total.
pub fn page<T: DeserializeOwned>(
    req: &Request,
    table_name: &str,
    owner: &str,
    reader: Reader<'_>,
    filters: &[&str],
    fixed: &[(&str, i64)],
) -> Result<(Page, Vec<T>, u64)> {
    let page = Page::from_request(req, 20, 100)?;
    let mut rows = reader.filter(table(table_name).all(), owner);
    let mut count = reader.filter(table(table_name).count(), owner);
    for (column, value) in fixed {
        rows = rows.where_eq(column, *value);
        count = count.where_eq(column, *value);
    }
    for name in filters {
        if let Some(value) = req.query_param(name) {
            rows = rows.where_eq(name, value.as_str());
            count = count.where_eq(name, value.as_str());
        }
    }
    let rows = rows.order_by_desc("id").limit(page.limit).offset(page.offset).fetch()?;
    Ok((page, rows.deserialize()?, count.execute()?))
}

/// Runs `update` (already narrowed to one row) only while that row is
/// still `from`; a 409 when someone moved it meanwhile. Call it as the
/// request's first write.
pub fn move_from(update: Update, from: &str) -> Result<()> {
    if update.where_eq("status", from).execute()? == 0 {
        return Err(Error::conflict("it changed meanwhile; read it again"));
    }
    Ok(())
}

/// An answer in the caller's language.
pub fn localized<T: serde::Serialize + ?Sized>(status: u16, value: &T, language: Language) -> Response {
    Response::json(status, value).with_header("content-language", language.tag())
}

/// The optional JSON body of a route that may be called without one.
pub fn optional_body(req: &Request) -> Result<BodyFields> {
    if req.body().is_empty() { BodyFields::from_value(serde_json::json!({})) } else { req.body_fields() }
}

fn singular(table_name: &str) -> &str {
    match table_name {
        "applications" => "application",
        "permits" => "permit",
        _ => "endorsement",
    }
}
