//! isotherm-storage
