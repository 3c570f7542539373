//! Pagination with `?limit=` and `?offset=`, answered in one shape:
//! `{"items": [...], "total": n, "limit": l, "offset": o}`.
//!
//! ```no_run
//! use onewindow_sdk::prelude::*;
//!
//! fn list(req: &Request) -> Result<Response> {
//!     let page = Page::from_request(req, 20, 100)?;
//!     let items = table("entries").all().order_by_desc("id").limit(page.limit).offset(page.offset).fetch()?;
//!     let total = table("entries").count().execute()?;
//!     Ok(page.respond(&items.to_json(), total))
//! }
//! ```

use serde::Serialize;

use crate::error::{FieldErrors, Result};
use crate::http::{Request, Response};

/// Which slice of a list the caller asked for.
///
/// ```
/// use onewindow_sdk::Page;
///
/// let page = Page { limit: 10, offset: 20 };
/// assert_eq!(page.respond(&[1, 2], 22).status(), 200);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// How many items at most (from `?limit=`, 1 to the route's maximum).
    pub limit: u32,
    /// How many items to skip first (from `?offset=`, 0 by default).
    pub offset: u32,
}

impl Page {
    /// Reads `?limit=` (default `default_limit`, at most `max_limit`) and
    /// `?offset=` (default 0). A value that is not a whole number, or a limit
    /// outside `1..=max_limit`, answers 422 naming the parameter (both, if
    /// both are wrong).
    ///
    /// ```no_run
    /// # use onewindow_sdk::prelude::*;
    /// # fn list(req: &Request) -> Result<Response> {
    /// let page = Page::from_request(req, 20, 100)?; // `?limit=ten` → 422 naming `limit`
    /// # Ok(page.respond(&[0; 0], 0)) }
    /// ```
    pub fn from_request(req: &Request, default_limit: u32, max_limit: u32) -> Result<Page> {
        let max_limit = max_limit.max(1);
        let mut problems = FieldErrors::new();
        let limit = match req.query_param("limit") {
            None => Some(default_limit.clamp(1, max_limit)),
            Some(raw) => raw.parse().ok().filter(|limit| (1..=max_limit).contains(limit)),
        };
        problems.check(limit.is_some(), "limit", format!("must be a whole number from 1 to {max_limit}"));
        let offset = match req.query_param("offset") {
            None => Some(0),
            Some(raw) => raw.parse().ok(),
        };
        problems.check(offset.is_some(), "offset", "must be a non-negative whole number");
        problems.into_result()?;
        Ok(Page { limit: limit.unwrap_or_default(), offset: offset.unwrap_or_default() })
    }

    /// A 200 answering `{"items": items, "total": total, "limit": .., "offset": ..}`;
    /// `items` is a list: a slice, a `Vec` or [`Rows::to_json`](crate::Rows::to_json).
    ///
    /// ```
    /// use onewindow_sdk::Page;
    ///
    /// let answer = Page { limit: 2, offset: 0 }.respond(&["a", "b"], 5);
    /// let body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
    /// assert_eq!(body, serde_json::json!({"items": ["a", "b"], "total": 5, "limit": 2, "offset": 0}));
    /// ```
    pub fn respond<T: Serialize + ?Sized>(&self, items: &T, total: u64) -> Response {
        Response::json(
            200,
            &serde_json::json!({ "items": items, "total": total, "limit": self.limit, "offset": self.offset }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(query: &str) -> Result<Page> {
        Page::from_request(&Request::for_test(query, &[], ""), 20, 100)
    }

    fn faulty(query: &str) -> Vec<String> {
        page(query).unwrap_err().field_errors().iter().map(|e| e.field.clone()).collect()
    }

    #[test]
    fn reads_limit_and_offset_with_defaults() {
        assert_eq!(page("").unwrap(), Page { limit: 20, offset: 0 });
        assert_eq!(page("limit=1&offset=1").unwrap(), Page { limit: 1, offset: 1 });
        assert_eq!(page("limit=100&status=x").unwrap(), Page { limit: 100, offset: 0 });
        assert_eq!(Page::from_request(&Request::for_test("", &[], ""), 500, 50).unwrap().limit, 50);
    }

    #[test]
    fn names_every_bad_parameter() {
        assert_eq!(faulty("limit=ten"), ["limit"]);
        assert_eq!(faulty("limit=0"), ["limit"]);
        assert_eq!(faulty("limit=101"), ["limit"]);
        assert_eq!(faulty("limit=-1"), ["limit"]);
        assert_eq!(faulty("limit="), ["limit"]);
        assert_eq!(faulty("offset=-5"), ["offset"]);
        assert_eq!(faulty("limit=1.5&offset=x"), ["limit", "offset"]);
        let error = page("limit=500").unwrap_err();
        assert_eq!(error.status(), 422);
        assert_eq!(error.field_errors()[0].message, "must be a whole number from 1 to 100");
    }

    #[test]
    fn answers_items_with_total_limit_and_offset() {
        let answer = Page { limit: 1, offset: 3 }.respond(&[serde_json::json!({"id": 4})], 9);
        assert_eq!(answer.status(), 200);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_slice(answer.body()).unwrap();
        assert_eq!(body, serde_json::json!({"items": [{"id": 4}], "total": 9, "limit": 1, "offset": 3}));
    }
}
