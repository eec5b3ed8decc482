//! What the SQL face needs from the index: the engine crate's [`Backend`].

pub use isotherm_engine::Backend;
