//! Integration tests: the real server on a free port, driven over HTTP, on
//! SQLite and (when MIGPORTAL_TEST_POSTGRES_URL is set) on PostgreSQL.
//! One test binary, as link time on 2 cores is precious.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod access;
mod api_accounts;
mod api_bad_input;
mod api_identity;
mod api_security;
mod applications;
mod attacks;
mod booking_load;
mod browser;
mod catalogue;
mod confirmation;
mod consents;
mod documents;
mod headers;
mod inbox;
mod instances;
mod lifecycle;
mod lifecycle_pages;
mod logs;
mod messages;
mod notifications;
mod ops;
mod pages;
mod payments;
mod profile;
mod staff;
mod standby;
mod support;
mod visit_day;
mod visits;
