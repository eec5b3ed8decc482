//! isotherm-indexer
