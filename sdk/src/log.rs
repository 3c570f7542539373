//! Log lines, tagged by the host with the plugin, version and request id.
//! Anything a plugin prints to stdout or stderr also ends up in its log.

use crate::bindings::onewindow::platform::log::Level;
use crate::host::log_write as write;

/// Logs at debug level.
pub fn debug(message: &str) {
    write(Level::Debug, message);
}

/// Logs at info level.
pub fn info(message: &str) {
    write(Level::Info, message);
}

/// Logs at warn level.
pub fn warn(message: &str) {
    write(Level::Warn, message);
}

/// Logs at error level.
pub fn error(message: &str) {
    write(Level::Error, message);
}
