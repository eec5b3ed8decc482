//! Crate-level tests: whole-database behaviour against a naive evaluator.

mod naive;
mod paths;
mod budget;
mod recovery;
