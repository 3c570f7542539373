//! A status machine declared once: which statuses may follow which.
//!
//! ```
//! use onewindow_sdk::Transitions;
//!
//! const MOVES: Transitions = Transitions::new(&[
//!     ("submitted", &["under-review"]),
//!     ("under-review", &["approved", "rejected"]),
//!     ("approved", &["issued"]),
//! ]);
//! assert!(MOVES.check("submitted", "under-review").is_ok());
//! let refused = MOVES.check("submitted", "issued").unwrap_err();
//! assert_eq!(refused.status(), 409);
//! assert!(refused.detail().ends_with("allowed: under-review"));
//! assert_eq!(MOVES.allowed("issued"), [] as [&str; 0]);
//! ```

use crate::error::{Error, Result};

/// The allowed moves between statuses, as `(from, [to, ...])` pairs; a
/// status without a pair (or a repeated one, after its first) allows none.
/// Build it in a `const` with [`Transitions::new`].
///
/// ```
/// use onewindow_sdk::Transitions;
///
/// const DOOR: Transitions = Transitions::new(&[("open", &["closed"]), ("closed", &["open", "locked"])]);
/// assert_eq!(DOOR.allowed("closed"), ["open", "locked"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Transitions<'a> {
    moves: &'a [(&'a str, &'a [&'a str])],
}

impl<'a> Transitions<'a> {
    /// The machine with these moves.
    ///
    /// ```
    /// use onewindow_sdk::Transitions;
    ///
    /// const TICKET: Transitions = Transitions::new(&[("open", &["done"])]);
    /// assert!(TICKET.check("open", "done").is_ok());
    /// ```
    pub const fn new(moves: &'a [(&'a str, &'a [&'a str])]) -> Self {
        Transitions { moves }
    }

    /// The statuses that may follow `from` (none for an unknown or final status).
    ///
    /// ```
    /// use onewindow_sdk::Transitions;
    ///
    /// const TICKET: Transitions = Transitions::new(&[("open", &["done", "dropped"])]);
    /// assert_eq!(TICKET.allowed("open"), ["done", "dropped"]);
    /// assert!(TICKET.allowed("done").is_empty());
    /// ```
    pub fn allowed(&self, from: &str) -> &'a [&'a str] {
        self.moves.iter().find(|(status, _)| *status == from).map_or(&[], |(_, next)| next)
    }

    /// `Ok(())` if `to` may follow `from`, else a 409 whose detail names the
    /// allowed next statuses (`none` for a final status), e.g.
    /// "cannot move from submitted to issued; allowed: under-review".
    ///
    /// ```
    /// use onewindow_sdk::Transitions;
    ///
    /// const TICKET: Transitions = Transitions::new(&[("open", &["done"])]);
    /// let refused = TICKET.check("done", "open").unwrap_err();
    /// assert_eq!(refused.detail(), "cannot move from done to open; allowed: none");
    /// ```
    pub fn check(&self, from: &str, to: &str) -> Result<()> {
        let allowed = self.allowed(from);
        if allowed.contains(&to) {
            return Ok(());
        }
        let options = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
        Err(Error::conflict(format!("cannot move from {from} to {to}; allowed: {options}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERMIT: Transitions = Transitions::new(&[
        ("submitted", &["under-review"]),
        ("under-review", &["approved", "rejected"]),
        ("approved", &["issued"]),
        ("submitted", &["issued"]),
    ]);

    #[test]
    fn allows_only_the_declared_moves() {
        assert!(PERMIT.check("submitted", "under-review").is_ok());
        assert!(PERMIT.check("under-review", "rejected").is_ok());
        assert!(PERMIT.check("approved", "issued").is_ok());
        assert_eq!(PERMIT.check("submitted", "issued").unwrap_err().status(), 409, "the first pair wins");
        assert_eq!(PERMIT.check("under-review", "under-review").unwrap_err().status(), 409);
        assert_eq!(PERMIT.allowed("under-review"), ["approved", "rejected"]);
        assert!(PERMIT.allowed("withdrawn").is_empty());
    }

    #[test]
    fn the_conflict_names_what_is_allowed_or_none() {
        let refused = PERMIT.check("under-review", "issued").unwrap_err();
        assert_eq!(refused.status(), 409);
        assert_eq!(refused.detail(), "cannot move from under-review to issued; allowed: approved, rejected");
        let refused = PERMIT.check("issued", "approved").unwrap_err();
        assert_eq!(refused.detail(), "cannot move from issued to approved; allowed: none");
        let body: serde_json::Value = serde_json::from_slice(refused.into_response("r").body()).unwrap();
        assert_eq!(body["type"], "urn:onewindow:problem:conflict");
    }
}
