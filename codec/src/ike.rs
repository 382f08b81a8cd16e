//! (Stub: filled in by the protocol work.)

use crate::fields::FieldDef;

/// Display-filter fields this module produces (STYLE §11).
pub const FIELDS: &[FieldDef] = &[];
