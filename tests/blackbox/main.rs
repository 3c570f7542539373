//! Black-box tests: each starts the real host (random port, fresh database)
//! and drives it over HTTP like a user. Every test runs on SQLite and on
//! PostgreSQL.

mod api_document;
mod audit_trail;
mod auth;
mod cases;
mod governance;
mod http_serving;
mod inbox_and_figures;
mod install;
mod legal_consultation;
mod lost_id_reissue;
mod metrics;
mod plugin_logs;
mod polyglot;
mod portal;
mod records;
mod residence_permit;
mod runtime;
mod several_hosts;
mod transactions;
mod utility_referral;
mod version_removal;
