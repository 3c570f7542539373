//! Passwords and sign-in tokens.

pub mod failures;
pub mod fields;
pub mod password;
pub mod throttle;
pub mod token;
