//! The shared record ("collect once, use by many"): the schema that defines
//! it, how sensitive columns are sealed at rest, the policy a grant gives,
//! and the engine that enforces it on every read and write — for plugins
//! (through the `records` capability) and for staff and residents (through
//! the API) alike.

pub mod access_log;
pub mod engine;
pub mod policy;
pub mod reseal;
pub mod schema;
pub mod sealing;
pub mod tables;
