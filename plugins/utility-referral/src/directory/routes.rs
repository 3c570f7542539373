//! The directory's routes: anyone reads it (it is public information, and a
//! resident checks it before signing in); only admins edit it.

use onewindow_sdk::prelude::*;

use super::{Directory, UnitView, edit};
use crate::catalog;

/// `GET /units`: every entry.
pub fn list_units(_req: &Request) -> Result<Response> {
    let directory = Directory::load()?;
    let items: Vec<UnitView> = directory.entries.iter().map(|e| UnitView::of(&directory, e)).collect();
    Ok(Response::json(200, &serde_json::json!({ "items": items })))
}

/// `GET /units/{unit}`
pub fn show_unit(req: &Request) -> Result<Response> {
    let directory = Directory::load()?;
    let unit = req.param("unit").unwrap_or_default();
    let entry = directory.entry(unit).ok_or_else(|| Error::not_found(format!("no directory entry {unit}")))?;
    Ok(Response::json(200, &UnitView::of(&directory, entry)))
}

/// `PUT /units/{unit}`: an admin replaces a unit's entry.
pub fn edit_unit(req: &Request) -> Result<Response> {
    let admin = req.require_role(Role::Admin)?;
    let directory = Directory::load()?;
    let unit = req.param("unit").unwrap_or_default();
    directory.entry(unit).ok_or_else(|| Error::not_found(format!("no directory entry {unit}")))?;
    let checked = edit::read_entry(req, &directory, unit)?;
    edit::save_entry(unit, &checked, admin.subject.as_str())?;
    onewindow_sdk::log::info(&format!("directory entry {unit} edited by {}", admin.subject));
    let directory = Directory::load()?;
    let entry = directory.entry(unit).ok_or_else(|| Error::not_found(format!("no directory entry {unit}")))?;
    Ok(Response::json(200, &UnitView::of(&directory, entry)))
}

/// `GET /categories`: every category with what the service proposes, in
/// the caller's language.
pub fn list_categories(req: &Request) -> Result<Response> {
    let directory = Directory::load()?;
    let language = req.language();
    let items: Vec<_> = catalog::CATEGORIES.iter().map(|c| directory.proposal(c, language)).collect();
    Ok(Response::json(200, &serde_json::json!({ "items": items })).with_header("content-language", language.tag()))
}

/// `GET /categories/{code}`: the proposal for one category (the unit, what
/// to give, where to report if handed off, and the safety steps).
pub fn show_category(req: &Request) -> Result<Response> {
    let category = category_of(req)?;
    let directory = Directory::load()?;
    let language = req.language();
    Ok(Response::json(200, &directory.proposal(category, language)).with_header("content-language", language.tag()))
}

/// `PUT /categories/{code}` `{"unit"}`: an admin points a category at another unit.
pub fn edit_category(req: &Request) -> Result<Response> {
    let admin = req.require_role(Role::Admin)?;
    let category = category_of(req)?;
    let directory = Directory::load()?;
    let unit = edit::read_default(req, &directory, category.code)?;
    edit::save_default(category.code, &unit, admin.subject.as_str())?;
    onewindow_sdk::log::info(&format!("category {} now proposed to {unit} by {}", category.code, admin.subject));
    let language = req.language();
    let directory = Directory::load()?;
    Ok(Response::json(200, &directory.proposal(category, language)).with_header("content-language", language.tag()))
}

fn category_of(req: &Request) -> Result<&'static catalog::Category> {
    let code = req.param("code").unwrap_or_default();
    catalog::find_category(code).ok_or_else(|| Error::not_found(format!("no category {code}")))
}
