//! Rewrite rules parsed from command-line flags: `--map`, `--mac-map`, `--port-map`,
//! `--gre-key`, `--spi`.

use std::fmt;

/// An IPv4 prefix `a.b.c.d/len` (a single address is `/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// Network address (host bits as given).
    pub addr: [u8; 4],
    /// Prefix length, 0..=32.
    pub len: u8,
}

impl Cidr {
    fn mask(self) -> u32 {
        if self.len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.len))
        }
    }

    /// True when `a` lies in this prefix.
    pub fn contains(self, a: [u8; 4]) -> bool {
        (u32::from_be_bytes(a) ^ u32::from_be_bytes(self.addr)) & self.mask() == 0
    }

    /// Parses `a.b.c.d` or `a.b.c.d/len`.
    pub fn parse(s: &str) -> Result<Cidr, MapError> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (
                a,
                l.parse::<u8>()
                    .map_err(|_| MapError::new(s, "bad prefix length"))?,
            ),
            None => (s, 32),
        };
        if l > 32 {
            return Err(MapError::new(s, "prefix length above 32"));
        }
        let ip: std::net::Ipv4Addr = a
            .parse()
            .map_err(|_| MapError::new(s, "bad IPv4 address"))?;
        Ok(Cidr {
            addr: ip.octets(),
            len: l,
        })
    }
}

/// An IPv6 prefix `a:b::c/len` (a single address is `/128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr6 {
    /// Network address (host bits as given).
    pub addr: [u8; 16],
    /// Prefix length, 0..=128.
    pub len: u8,
}

impl Cidr6 {
    fn mask(self) -> u128 {
        if self.len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(self.len))
        }
    }

    /// True when `a` lies in this prefix.
    pub fn contains(self, a: [u8; 16]) -> bool {
        (u128::from_be_bytes(a) ^ u128::from_be_bytes(self.addr)) & self.mask() == 0
    }

    /// Parses `a:b::c` or `a:b::c/len`.
    pub fn parse(s: &str) -> Result<Cidr6, MapError> {
        let (a, l) = match s.split_once('/') {
            Some((a, l)) => (
                a,
                l.parse::<u8>()
                    .map_err(|_| MapError::new(s, "bad prefix length"))?,
            ),
            None => (s, 128),
        };
        if l > 128 {
            return Err(MapError::new(s, "prefix length above 128"));
        }
        let ip: std::net::Ipv6Addr = a
            .parse()
            .map_err(|_| MapError::new(s, "bad IPv6 address"))?;
        Ok(Cidr6 {
            addr: ip.octets(),
            len: l,
        })
    }
}

/// A rule that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl MapError {
    fn new(text: &str, reason: &'static str) -> MapError {
        MapError {
            text: text.to_string(),
            reason,
        }
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rewrite rule '{}': {}", self.text, self.reason)
    }
}

impl std::error::Error for MapError {}

/// Parses `aa:bb:cc:dd:ee:ff` (also `-` separators).
pub fn parse_mac(s: &str) -> Result<[u8; 6], MapError> {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() != 6 {
        return Err(MapError::new(s, "a MAC address has 6 octets"));
    }
    let mut m = [0u8; 6];
    for (o, p) in m.iter_mut().zip(parts) {
        if p.is_empty() || p.len() > 2 {
            return Err(MapError::new(s, "bad MAC octet"));
        }
        *o = u8::from_str_radix(p, 16).map_err(|_| MapError::new(s, "bad MAC octet"))?;
    }
    Ok(m)
}

fn parse_u32(s: &str, whole: &str) -> Result<u32, MapError> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse::<u32>(),
    };
    r.map_err(|_| MapError::new(whole, "bad number"))
}

fn split_eq(s: &str) -> Result<(&str, &str), MapError> {
    s.split_once('=')
        .ok_or_else(|| MapError::new(s, "expected OLD=NEW"))
}

/// The rewrite rules; the first matching rule of each kind applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// IPv4 prefix maps (host part kept); both prefixes have the same length.
    pub ipv4: Vec<(Cidr, Cidr)>,
    /// IPv6 prefix maps (host part kept); both prefixes have the same length.
    pub ipv6: Vec<(Cidr6, Cidr6)>,
    /// MAC maps.
    pub mac: Vec<([u8; 6], [u8; 6])>,
    /// UDP/TCP port maps (source and destination).
    pub port: Vec<(u16, u16)>,
    /// GRE key maps.
    pub gre_key: Vec<(u32, u32)>,
    /// ESP SPI maps.
    pub spi: Vec<(u32, u32)>,
}

impl Rules {
    /// Adds `--map OLD=NEW` (`198.51.100.0/24=10.9.0.0/24` or `192.0.2.1=10.0.0.1`;
    /// IPv6 `2001:db8::/32=fd00:1::/32`).
    pub fn add_map(&mut self, s: &str) -> Result<(), MapError> {
        let (a, b) = split_eq(s)?;
        if a.contains(':') || b.contains(':') {
            let (a, b) = (Cidr6::parse(a)?, Cidr6::parse(b)?);
            if a.len != b.len {
                return Err(MapError::new(s, "both sides need the same prefix length"));
            }
            self.ipv6.push((a, b));
            return Ok(());
        }
        let (a, b) = (Cidr::parse(a)?, Cidr::parse(b)?);
        if a.len != b.len {
            return Err(MapError::new(s, "both sides need the same prefix length"));
        }
        self.ipv4.push((a, b));
        Ok(())
    }

    /// Adds `--mac-map OLD=NEW`.
    pub fn add_mac(&mut self, s: &str) -> Result<(), MapError> {
        let (a, b) = split_eq(s)?;
        self.mac.push((parse_mac(a)?, parse_mac(b)?));
        Ok(())
    }

    /// Adds `--port-map OLD=NEW`.
    pub fn add_port(&mut self, s: &str) -> Result<(), MapError> {
        let (a, b) = split_eq(s)?;
        let p = |x: &str| x.parse::<u16>().map_err(|_| MapError::new(s, "bad port"));
        self.port.push((p(a)?, p(b)?));
        Ok(())
    }

    /// Adds `--gre-key OLD=NEW` (decimal or 0x-hex).
    pub fn add_gre_key(&mut self, s: &str) -> Result<(), MapError> {
        let (a, b) = split_eq(s)?;
        self.gre_key.push((parse_u32(a, s)?, parse_u32(b, s)?));
        Ok(())
    }

    /// Adds `--spi OLD=NEW` (decimal or 0x-hex).
    pub fn add_spi(&mut self, s: &str) -> Result<(), MapError> {
        let (a, b) = split_eq(s)?;
        self.spi.push((parse_u32(a, s)?, parse_u32(b, s)?));
        Ok(())
    }

    /// True when no rule is given (an identity rewrite).
    pub fn is_empty(&self) -> bool {
        self.ipv4.is_empty()
            && self.ipv6.is_empty()
            && self.mac.is_empty()
            && self.port.is_empty()
            && self.gre_key.is_empty()
            && self.spi.is_empty()
    }

    /// The mapped address (host part kept), or `None` when no rule matches.
    pub fn map_ipv4(&self, a: [u8; 4]) -> Option<[u8; 4]> {
        let (from, to) = self.ipv4.iter().find(|(f, _)| f.contains(a))?;
        let m = from.mask();
        let v = (u32::from_be_bytes(to.addr) & m) | (u32::from_be_bytes(a) & !m);
        Some(v.to_be_bytes())
    }

    /// The mapped IPv6 address (host part kept), or `None` when no rule matches.
    pub fn map_ipv6(&self, a: [u8; 16]) -> Option<[u8; 16]> {
        let (from, to) = self.ipv6.iter().find(|(f, _)| f.contains(a))?;
        let m = from.mask();
        let v = (u128::from_be_bytes(to.addr) & m) | (u128::from_be_bytes(a) & !m);
        Some(v.to_be_bytes())
    }

    /// The mapped MAC.
    pub fn map_mac(&self, a: [u8; 6]) -> Option<[u8; 6]> {
        self.mac.iter().find(|(f, _)| *f == a).map(|(_, t)| *t)
    }

    /// The mapped port.
    pub fn map_port(&self, p: u16) -> Option<u16> {
        self.port.iter().find(|(f, _)| *f == p).map(|(_, t)| *t)
    }

    /// The mapped GRE key.
    pub fn map_gre_key(&self, k: u32) -> Option<u32> {
        self.gre_key.iter().find(|(f, _)| *f == k).map(|(_, t)| *t)
    }

    /// The mapped SPI.
    pub fn map_spi(&self, k: u32) -> Option<u32> {
        self.spi.iter().find(|(f, _)| *f == k).map(|(_, t)| *t)
    }
}
