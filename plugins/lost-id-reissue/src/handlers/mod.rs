//! The routes, one module per area, and what they share: loading a row the
//! caller may see, listing rows a page at a time, and moving a row from one
//! status to the next without losing a concurrent change.

pub mod applications;
pub mod consultations;
pub mod info;
pub mod reports;

use onewindow_sdk::data::Update;
use onewindow_sdk::prelude::*;
use serde::de::DeserializeOwned;

use crate::access::Reader;

/// Row `id` of `table` if `reader` may see it, else 404 (another
/// resident's row does not exist for them).
pub fn load<T: DeserializeOwned>(table_name: &str, reader: Reader<'_>, id: i64) -> Result<T> {
    match reader.filter(table(table_name).all().where_eq("id", id)).fetch_optional()? {
        Some(row) => row.deserialize(),
        None => Err(Error::not_found(format!("no {} {id}", singular(table_name)))),
    }
}

/// A page of `table`'s rows that `reader` may see, newest first, narrowed
/// by the query parameters named in `filters` (e.g. `?status=`).
pub fn list<T: DeserializeOwned + serde::Serialize>(
    req: &Request,
    table_name: &str,
    reader: Reader<'_>,
    filters: &[&str],
) -> Result<Response> {
    let page = Page::from_request(req, 20, 100)?;
    let mut rows = reader.filter(table(table_name).all()).order_by_desc("id").limit(page.limit).offset(page.offset);
    let mut count = reader.filter(table(table_name).count());
    for name in filters {
        if let Some(value) = req.query_param(name) {
            rows = rows.where_eq(name, value.as_str());
            count = count.where_eq(name, value.as_str());
        }
    }
    let items: Vec<T> = rows.fetch()?.deserialize()?;
    Ok(page.respond(&items, count.execute()?))
}

/// Runs `update` (already narrowed to one row) only while that row is
/// still `from`; a 409 when someone moved it meanwhile.
pub fn move_from(update: Update, from: &str) -> Result<()> {
    if update.where_eq("status", from).execute()? == 0 {
        return Err(Error::conflict("it changed meanwhile; read it again"));
    }
    Ok(())
}

fn singular(table_name: &str) -> &str {
    match table_name {
        "reports" => "report",
        "applications" => "application",
        _ => "consultation",
    }
}
