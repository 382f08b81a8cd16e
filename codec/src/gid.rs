//! The RFC 1990 §5.1.3 Endpoint Discriminator value (class + address), shared by the MVTP
//! Global Endpoint ID AVP (spec §2.4, AVP-5), the hand-off AVP vendor 32473 type 1
//! (spec §7, L2TP-1) and the LCP Endpoint Discriminator option (RFC 1990): one
//! implementation, three users.
//!
//! ```text
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! |     Class     |  Address ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-
//! ```

use core::fmt;

/// Longest address of any class (RFC 1990 §5.1.3; spec AVP-5).
pub const MAX_ADDRESS_LEN: usize = 20;

/// Endpoint discriminator classes (RFC 1990 §5.1.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Class(pub u8);

impl Class {
    /// Null class: no address.
    pub const NULL: Self = Self(0);
    /// Locally assigned address, 1..20 octets.
    pub const LOCAL: Self = Self(1);
    /// IPv4 address, 4 octets.
    pub const IPV4: Self = Self(2);
    /// IEEE 802.1 globally assigned MAC address, 6 octets.
    pub const MAC: Self = Self(3);
    /// PPP Magic-Number block, 4..20 octets, a multiple of 4.
    pub const MAGIC: Self = Self(4);
    /// Public switched network directory number, 1..15 ASCII digits.
    pub const PSTN: Self = Self(5);

    /// Short name for summaries (`null`, `local`, `ip`, `mac`, `magic`, `e164`).
    pub fn label(self) -> &'static str {
        match self {
            Self::NULL => "null",
            Self::LOCAL => "local",
            Self::IPV4 => "ip",
            Self::MAC => "mac",
            Self::MAGIC => "magic",
            Self::PSTN => "e164",
            _ => "class",
        }
    }
}

/// Why a class/address pair is not a valid discriminator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GidError {
    /// The value has no class octet.
    NoClass,
    /// The address length does not fit the class (`bad_length`).
    BadLength {
        /// The class.
        class: u8,
        /// The address length found.
        len: usize,
    },
    /// A class 5 address octet that is not an ASCII digit (`bad_value`), at this
    /// offset within the address.
    NonDigit {
        /// Offset of the octet from the first address octet.
        at: usize,
    },
}

impl fmt::Display for GidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            GidError::NoClass => f.write_str("value has no class octet"),
            GidError::BadLength { class, len } => {
                write!(f, "address of {len} octets does not fit class {class} ({})", allowed_lengths(class))
            }
            GidError::NonDigit { at } => write!(f, "class 5 address octet {at} is not an ASCII digit"),
        }
    }
}

fn allowed_lengths(class: u8) -> &'static str {
    match Class(class) {
        Class::NULL => "0 octets",
        Class::LOCAL => "1..20 octets",
        Class::IPV4 => "4 octets",
        Class::MAC => "6 octets",
        Class::MAGIC => "4..20 octets, a multiple of 4",
        Class::PSTN => "1..15 digits",
        _ => "0..20 octets",
    }
}

/// The outcome of a valid check: whether the class is one RFC 1990 defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// Classes 0..=5.
    Defined,
    /// A class above 5: kept opaque, worth a warning (spec AVP-5).
    Undefined,
}

/// A checked, zero-copy view of a discriminator value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GidView<'a> {
    /// The class octet.
    pub class: Class,
    /// The address octets.
    pub address: &'a [u8],
}

impl<'a> GidView<'a> {
    /// Splits `value` (class octet + address) and checks it as spec AVP-5 orders:
    /// the class octet, then the length for the class, then class 5 digits.
    pub fn new(value: &'a [u8]) -> Result<(Self, Known), GidError> {
        let (&class, address) = value.split_first().ok_or(GidError::NoClass)?;
        let known = check(class, address)?;
        Ok((Self { class: Class(class), address }, known))
    }

    /// Copies this view into an owned value.
    pub fn to_owned(&self) -> Gid {
        Gid { class: self.class, address: self.address.to_vec() }
    }
}

/// Checks an address against its class (spec AVP-5, RFC 1990 §5.1.3).
pub fn check(class: u8, address: &[u8]) -> Result<Known, GidError> {
    let len = address.len();
    let fits = match Class(class) {
        Class::NULL => len == 0,
        Class::LOCAL => (1..=MAX_ADDRESS_LEN).contains(&len),
        Class::IPV4 => len == 4,
        Class::MAC => len == 6,
        Class::MAGIC => (4..=MAX_ADDRESS_LEN).contains(&len) && len.is_multiple_of(4),
        Class::PSTN => (1..=15).contains(&len),
        _ => len <= MAX_ADDRESS_LEN,
    };
    if !fits {
        return Err(GidError::BadLength { class, len });
    }
    if Class(class) == Class::PSTN {
        if let Some(at) = address.iter().position(|b| !b.is_ascii_digit()) {
            return Err(GidError::NonDigit { at });
        }
    }
    Ok(if class <= Class::PSTN.0 { Known::Defined } else { Known::Undefined })
}

/// An owned discriminator value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Gid {
    /// The class.
    pub class: Class,
    /// The address; kept as read even when it does not fit the class.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_hex"))]
    pub address: Vec<u8>,
}

impl Gid {
    /// A class 3 (MAC) discriminator.
    pub fn mac(mac: [u8; 6]) -> Self {
        Self { class: Class::MAC, address: mac.to_vec() }
    }

    /// Appends class + address.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(self.class.0);
        out.extend_from_slice(&self.address);
    }

    /// Octets `emit` writes.
    pub fn buffer_len(&self) -> usize {
        1 + self.address.len()
    }

    /// Checks the address against the class.
    pub fn check(&self) -> Result<Known, GidError> {
        check(self.class.0, &self.address)
    }
}

/// Renders an address as spec §10 says: dotted IPv4 for class 2, a MAC for class 3, the
/// digits for class 5, lowercase hex otherwise (class 0: the empty string). A class 2/3
/// address of the wrong length falls back to hex.
pub struct DisplayAddress<'a>(pub Class, pub &'a [u8]);

impl fmt::Display for DisplayAddress<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DisplayAddress(class, a) = *self;
        match (class, a.len()) {
            (Class::IPV4, 4) => write!(f, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]),
            (Class::MAC, 6) => write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", a[0], a[1], a[2], a[3], a[4], a[5]),
            (Class::PSTN, _) if a.iter().all(u8::is_ascii_digit) => {
                for &b in a {
                    write!(f, "{}", b as char)?;
                }
                Ok(())
            }
            _ => {
                for b in a {
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Gid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.class.label(), DisplayAddress(self.class, &self.address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avp_5_lengths_per_class() {
        assert_eq!(check(0, &[]), Ok(Known::Defined));
        assert!(check(0, &[1]).is_err());
        assert!(check(1, &[]).is_err());
        assert_eq!(check(1, &[0; 20]), Ok(Known::Defined));
        assert!(check(1, &[0; 21]).is_err());
        assert_eq!(check(2, &[1, 2, 3, 4]), Ok(Known::Defined));
        assert!(check(2, &[1, 2, 3]).is_err());
        assert_eq!(check(3, &[0; 6]), Ok(Known::Defined));
        assert!(check(4, &[0; 6]).is_err());
        assert_eq!(check(4, &[0; 8]), Ok(Known::Defined));
        assert_eq!(check(5, b"0123"), Ok(Known::Defined));
        assert_eq!(check(5, b"01a3"), Err(GidError::NonDigit { at: 2 }));
        assert_eq!(check(5, &[b'x'; 16]), Err(GidError::BadLength { class: 5, len: 16 }), "length checked before digits");
        assert_eq!(check(9, &[0; 20]), Ok(Known::Undefined));
        assert!(check(9, &[0; 21]).is_err());
        assert_eq!(GidView::new(&[]), Err(GidError::NoClass));
    }

    #[test]
    fn spec_10_rendering() {
        assert_eq!(DisplayAddress(Class::MAC, &[0, 0x21, 0x6a, 0x4b, 0x1c, 0x2d]).to_string(), "00:21:6a:4b:1c:2d");
        assert_eq!(DisplayAddress(Class::IPV4, &[10, 0, 0, 1]).to_string(), "10.0.0.1");
        assert_eq!(DisplayAddress(Class::PSTN, b"4915").to_string(), "4915");
        assert_eq!(DisplayAddress(Class::NULL, &[]).to_string(), "");
        assert_eq!(DisplayAddress(Class::LOCAL, b"ab").to_string(), "6162");
    }
}
