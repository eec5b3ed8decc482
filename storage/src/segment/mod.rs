//! Segment files: a header, checksummed sections identified by `u32` ids, a section
//! table and a footer (layout in [`mod@format`]). [`SegmentWriter`] writes one durably;
//! [`Segment`] maps one read-only, validates its structure on open and verifies
//! each section's CRC32 before first use.

pub mod format;
mod reader;
mod writer;

pub use reader::Segment;
pub use writer::SegmentWriter;
