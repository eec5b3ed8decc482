//! Crate-level tests: whole-database behaviour against a naive evaluator.

mod budget;
mod concurrency;
mod filters;
mod naive;
pub(crate) mod paths;
mod prop;
mod recovery;
