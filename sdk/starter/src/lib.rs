//! A starter Onewindow service: residents register repair requests, staff
//! of the unit that owns the plugin (whichever unit uploads it) move them `open` → `in-hand` → `done`. Copy it and
//! replace the domain; keep the shape.

use onewindow_sdk::prelude::*;

/// The service (public so the tests can call it through the harness).
pub struct Starter;

impl Service for Starter {
    fn router() -> Router {
        Router::new().post("/requests", register).get("/requests", list).post("/requests/{id}/status", move_on)
    }
}

/// Where a request may go from each status.
const MOVES: Transitions = Transitions::new(&[("open", &["in-hand"]), ("in-hand", &["done"])]);

/// `POST /requests` `{ "address", "problem", "phone"? }`: a resident registers a request.
fn register(req: &Request) -> Result<Response> {
    let caller = req.require_role(Role::Resident)?;
    let mut body = req.body_fields()?;
    let address = body.required_text("address");
    let problem = body.required_text("problem");
    let phone = body.optional_text("phone");
    let phone = phone.and_then(|p| body.errors().phone("phone", &p));
    body.deny_unknown();
    body.finish()?;
    let id = table("requests")
        .insert()
        .set("resident", caller.subject.as_str())
        .set("address", address.unwrap_or_default())
        .set("problem", problem.unwrap_or_default())
        .set("status", "open")
        .set("phone", phone)
        .execute()?;
    Ok(Response::json(201, &serde_json::json!({ "id": id, "status": "open" })))
}

/// `GET /requests`: a resident's own, or (the owning unit's staff) every request; paged.
fn list(req: &Request) -> Result<Response> {
    let caller = req.require_caller()?;
    let page = Page::from_request(req, 20, 100)?;
    let mut rows = table("requests").all().order_by_desc("id").limit(page.limit).offset(page.offset);
    let mut count = table("requests").count();
    if caller.role == Role::Resident {
        rows = rows.where_eq("resident", caller.subject.as_str());
        count = count.where_eq("resident", caller.subject.as_str());
    } else {
        req.require_staff_of_owner()?;
    }
    Ok(page.respond(&rows.fetch()?.to_json(), count.execute()?))
}

/// `POST /requests/{id}/status` `{ "to" }`: the owning unit's staff move a request on.
fn move_on(req: &Request) -> Result<Response> {
    req.require_staff_of_owner()?;
    let id: i64 = req.param_parse("id")?;
    let mut body = req.body_fields()?;
    let to = body.required_text("to");
    body.finish()?;
    let to = to.unwrap_or_default();
    let current = table("requests").select(&["status"]).where_eq("id", id).fetch_optional()?;
    let Some(current) = current else { return Err(Error::not_found(format!("no request {id}"))) };
    let from = current.as_ref().text("status").unwrap_or_default().to_owned();
    MOVES.check(&from, &to)?;
    table("requests")
        .update()
        .set("status", to.as_str())
        .where_eq("id", id)
        .where_eq("status", from.as_str())
        .execute()?;
    Ok(Response::json(200, &serde_json::json!({ "id": id, "status": to })))
}

onewindow_sdk::export!(Starter);
