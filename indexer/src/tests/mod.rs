//! Crate-level tests: whole-database behaviour against a naive evaluator.

mod budget;
mod concurrency;
mod naive;
mod paths;
mod prop;
mod recovery;
