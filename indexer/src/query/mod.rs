//! Answering requests: the request model, planning (which index answers) and execution.

pub mod request;
