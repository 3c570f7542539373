//! Black-box tests: each starts the real host (random port, fresh database)
//! and drives it over HTTP like a user. Every test runs on SQLite and on
//! PostgreSQL.

mod auth;
mod governance;
mod install;
mod portal;
mod residence_permit;
mod runtime;
