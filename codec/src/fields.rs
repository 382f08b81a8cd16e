//! The field registry (STYLE §11): every display-filter name the toolkit produces, with its
//! type and a description. Each protocol module declares its own `FIELDS`; this module
//! joins them. It serves the dissector's field builders (a test checks that every emitted
//! name is registered), the filter parser (unknown names are an error with a suggestion),
//! `mvtp fields`, the JSON writer and the tests.

/// The type of a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// A protocol: the field is present when the layer is.
    Protocol,
    /// A label with no value (a subtree).
    None,
    /// Unsigned integer.
    Uint,
    /// Signed integer.
    Int,
    /// Boolean.
    Bool,
    /// IPv4 address.
    Ipv4,
    /// IPv6 address.
    Ipv6,
    /// IEEE 802 MAC address.
    Mac,
    /// Byte string (lowercase hex).
    Bytes,
    /// Text.
    Text,
    /// A value whose rendering depends on another field (e.g. `mvtp.gid.address`).
    Any,
}

impl FieldType {
    /// Lower-case name for `mvtp fields`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FieldType::Protocol => "protocol",
            FieldType::None => "label",
            FieldType::Uint => "uint",
            FieldType::Int => "int",
            FieldType::Bool => "bool",
            FieldType::Ipv4 => "ipv4",
            FieldType::Ipv6 => "ipv6",
            FieldType::Mac => "mac",
            FieldType::Bytes => "bytes",
            FieldType::Text => "string",
            FieldType::Any => "any",
        }
    }
}

/// One registered field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// Display-filter name.
    pub name: &'static str,
    /// Value type.
    pub ty: FieldType,
    /// One-line description.
    pub desc: &'static str,
}

impl FieldDef {
    /// A new definition (for `const` tables).
    pub const fn new(name: &'static str, ty: FieldType, desc: &'static str) -> Self {
        Self { name, ty, desc }
    }
}

/// Every module's table, in protocol-stack order.
const TABLES: &[&[FieldDef]] = &[
    crate::ethernet::FIELDS,
    crate::vlan::FIELDS,
    crate::llc::FIELDS,
    crate::radiotap::FIELDS,
    crate::ieee80211::FIELDS,
    crate::sll::FIELDS,
    crate::ipv4::FIELDS,
    crate::ipv6::FIELDS,
    crate::udp::FIELDS,
    crate::tcp::FIELDS,
    crate::icmp::FIELDS,
    crate::gre::FIELDS,
    crate::esp::FIELDS,
    crate::ah::FIELDS,
    crate::ike::FIELDS,
    crate::l2tp::FIELDS,
    crate::ppp::FIELDS,
    crate::mip::FIELDS,
    crate::mvtp::FIELDS,
    crate::overhead::FIELDS,
    OTHER,
];

/// Fields that belong to no codec module.
const OTHER: &[FieldDef] = &[
    FieldDef::new("data", FieldType::Protocol, "Octets no decoder claims"),
    FieldDef::new("data.data", FieldType::Bytes, "The undecoded octets"),
    FieldDef::new("data.len", FieldType::Uint, "Number of undecoded octets"),
    FieldDef::new("frame", FieldType::Protocol, "The captured frame"),
];

/// Every registered field.
pub fn all() -> impl Iterator<Item = &'static FieldDef> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// The definition of `name`, if registered.
pub fn lookup(name: &str) -> Option<&'static FieldDef> {
    all().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for f in all() {
            assert!(seen.insert(f.name), "{} registered twice", f.name);
            assert!(!f.name.is_empty() && !f.name.contains(' '), "bad name {:?}", f.name);
        }
        assert!(lookup("data.len").is_some());
    }
}
