//! Answering requests: the request model, planning (which index answers) and execution.

pub mod agg;
pub mod arith;
pub mod compile;
pub mod exec;
pub mod expr;
pub mod plan;
pub mod request;
