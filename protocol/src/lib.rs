//! isotherm-protocol
