//! Messages to a resident's inbox, from the templates the manifest declares
//! (`[templates.NAME]` with `zh`, `ug`, `en` and `{placeholders}`). The
//! message is delivered only if the request's writes commit.
//!
//! ```no_run
//! # fn run(resident: &str) -> onewindow_sdk::Result<()> {
//! onewindow_sdk::notify::send(resident, "permit-issued").param("number", "RP-2026-000123").execute()?;
//! # Ok(()) }
//! ```

use crate::bindings::onewindow::platform::types::Error as NotifyError;

/// Starts a message from `template` to `resident` (an account id).
pub fn send(resident: &str, template: &str) -> Message {
    Message { resident: resident.to_owned(), template: template.to_owned(), params: Vec::new() }
}

/// A message being sent.
pub struct Message {
    resident: String,
    template: String,
    params: Vec<(String, String)>,
}

impl Message {
    /// Fills `{name}` in every language with `value`.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.params.push((name.to_owned(), value.into()));
        self
    }

    /// Sends it.
    pub fn execute(self) -> Result<(), NotifyError> {
        crate::host::notify_send(&self.resident, &self.template, &self.params)
    }
}
