//! Printers for `mvtp read`: one-line summaries, the layer tree (`-V`), hex dumps (`-x`),
//! JSON (`-T json` / `-T jsonl`, schema `docs/json-schema.md`) and field tables
//! (`-T fields`). Each implements [`Printer`] and appends to a reused `String`, so the
//! driver writes one buffer per packet and nothing is allocated per packet in steady state.

pub mod fields;
pub mod hex;
pub mod json;
pub mod summary;
pub mod tree;

use crate::capture::Timestamp;
use crate::model::{Dissection, Field, PacketDiagnostic, Value};
use codec::numbers::LinkType;
use codec::{Kind, Severity};
use std::fmt::Write as _;

/// One dissected packet with its capture metadata, as the printers see it.
#[derive(Clone, Copy)]
pub struct PacketView<'a> {
    /// Frame number, 1-based, in capture order (before filtering).
    pub number: u64,
    /// Capture time.
    pub ts: Timestamp,
    /// Time of the first packet of the capture.
    pub first_ts: Timestamp,
    /// Time of the previous captured packet.
    pub prev_ts: Timestamp,
    /// Time of the previous displayed packet.
    pub prev_displayed_ts: Timestamp,
    /// Link type.
    pub linktype: LinkType,
    /// Length on the wire.
    pub orig_len: u32,
    /// The captured octets.
    pub frame: &'a [u8],
    /// pcapng packet comment.
    pub comment: Option<&'a str>,
    /// The dissection.
    pub d: &'a Dissection,
}

/// Something that prints packets.
pub trait Printer {
    /// Text before the first packet (JSON's `[`, a header line).
    fn begin(&mut self, _out: &mut String) {}
    /// Appends the text for one packet.
    fn packet(&mut self, p: &PacketView<'_>, out: &mut String);
    /// Text after the last packet.
    fn end(&mut self, _out: &mut String) {}
}

/// How the time column is written (tshark `-t`, tcpdump `-t…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// No time column.
    None,
    /// Time of day, UTC (`20:26:11.123456789`).
    Absolute,
    /// Date and time of day, UTC (`2026-11-23 20:26:11.123456789`).
    AbsoluteDate,
    /// Seconds since the first packet (tshark's default).
    #[default]
    Relative,
    /// Seconds since the previous captured packet.
    Delta,
    /// Seconds since the previous displayed packet.
    DeltaDisplayed,
    /// Seconds since the epoch.
    Epoch,
}

impl TimeFormat {
    /// Parses tshark's `-t` letters and the long names: `a`/`absolute`, `ad`/`date`,
    /// `r`/`relative`, `d`/`delta`, `dd`/`delta_displayed`, `e`/`epoch`, `n`/`none`
    /// (`u`/`ud` are accepted as `a`/`ad`: times are always UTC).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "a" | "u" | "absolute" | "abs" => TimeFormat::Absolute,
            "ad" | "ud" | "date" | "absolute_date" => TimeFormat::AbsoluteDate,
            "r" | "relative" | "rel" => TimeFormat::Relative,
            "d" | "delta" => TimeFormat::Delta,
            "dd" | "delta_displayed" => TimeFormat::DeltaDisplayed,
            "e" | "epoch" => TimeFormat::Epoch,
            "n" | "none" => TimeFormat::None,
            _ => return None,
        })
    }

    /// Writes the time of `p` (no trailing space); nothing for [`TimeFormat::None`].
    pub fn write(self, p: &PacketView<'_>, out: &mut String) {
        match self {
            TimeFormat::None => {}
            TimeFormat::Absolute | TimeFormat::AbsoluteDate => {
                let sod = p.ts.secs.rem_euclid(86_400) as u64;
                if self == TimeFormat::AbsoluteDate {
                    let (y, m, d) = crate::capture::civil_from_days(p.ts.secs.div_euclid(86_400));
                    if (0..=9999).contains(&y) {
                        push_u64_padded(out, y as u64, 4, b'0');
                    } else {
                        let _ = write!(out, "{y:04}");
                    }
                    out.push('-');
                    push_u64_padded(out, u64::from(m), 2, b'0');
                    out.push('-');
                    push_u64_padded(out, u64::from(d), 2, b'0');
                    out.push(' ');
                }
                push_u64_padded(out, sod / 3600, 2, b'0');
                out.push(':');
                push_u64_padded(out, sod / 60 % 60, 2, b'0');
                out.push(':');
                push_u64_padded(out, sod % 60, 2, b'0');
                out.push('.');
                push_u64_padded(out, u64::from(p.ts.nanos), 9, b'0');
            }
            TimeFormat::Relative => write_signed_nanos(p.ts.nanos_since(p.first_ts), out),
            TimeFormat::Delta => write_signed_nanos(p.ts.nanos_since(p.prev_ts), out),
            TimeFormat::DeltaDisplayed => {
                write_signed_nanos(p.ts.nanos_since(p.prev_displayed_ts), out)
            }
            TimeFormat::Epoch => write_signed_nanos(
                i128::from(p.ts.secs) * 1_000_000_000 + i128::from(p.ts.nanos),
                out,
            ),
        }
    }
}

/// Writes nanoseconds as seconds with 9 decimals.
pub fn write_signed_nanos(ns: i128, out: &mut String) {
    if ns < 0 {
        out.push('-');
    }
    let a = ns.unsigned_abs();
    // The common case fits in 64 bits: no 128-bit division.
    let (secs, frac) = match u64::try_from(a) {
        Ok(x) => (u128::from(x / 1_000_000_000), x % 1_000_000_000),
        Err(_) => (a / 1_000_000_000, (a % 1_000_000_000) as u64),
    };
    match u64::try_from(secs) {
        Ok(secs) => push_u64(out, secs),
        Err(_) => {
            let _ = write!(out, "{secs}");
        }
    }
    out.push('.');
    push_u64_padded(out, frac, 9, b'0');
}

/// Two-digit decimal pairs `00` … `99`, for number formatting without `core::fmt`.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends ASCII octets built on the stack: one validation and one copy for the run,
/// cheaper than pushing characters one by one.
#[inline]
fn push_ascii(out: &mut String, b: &[u8]) {
    if let Ok(s) = std::str::from_utf8(b) {
        out.push_str(s);
    }
}

/// Writes `v` in decimal ending at `buf[end]` (exclusive); returns where it starts.
#[inline]
fn digits_into(buf: &mut [u8], end: usize, v: u64) -> usize {
    let mut i = end;
    let mut x = v;
    while x >= 100 {
        let r = (x % 100) as usize * 2;
        x /= 100;
        i -= 2;
        buf[i] = PAIRS[r];
        buf[i + 1] = PAIRS[r + 1];
    }
    if x >= 10 {
        let r = x as usize * 2;
        i -= 2;
        buf[i] = PAIRS[r];
        buf[i + 1] = PAIRS[r + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + x as u8;
    }
    i
}

/// Appends `v` in decimal, left-padded with `pad` (ASCII) to `width` characters.
pub fn push_u64_padded(out: &mut String, v: u64, width: usize, pad: u8) {
    let mut buf = [pad; 32];
    let i = digits_into(&mut buf, 32, v);
    let start = i.min(32usize.saturating_sub(width));
    if width > 32 {
        for _ in 32..width {
            out.push(char::from(pad));
        }
    }
    push_ascii(out, &buf[start..]);
}

/// ANSI colours, or nothing when output is not a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Colors {
    /// Whether to emit escape sequences.
    pub on: bool,
}

impl Colors {
    fn wrap(self, code: &str, out: &mut String, f: impl FnOnce(&mut String)) {
        if self.on {
            out.push_str("\x1b[");
            out.push_str(code);
            out.push('m');
            f(out);
            out.push_str("\x1b[0m");
        } else {
            f(out);
        }
    }
    /// Bold (protocol names).
    pub fn bold(self, out: &mut String, f: impl FnOnce(&mut String)) {
        self.wrap("1", out, f)
    }
    /// Red (errors).
    pub fn red(self, out: &mut String, f: impl FnOnce(&mut String)) {
        self.wrap("31", out, f)
    }
    /// Yellow (warnings, truncation).
    pub fn yellow(self, out: &mut String, f: impl FnOnce(&mut String)) {
        self.wrap("33", out, f)
    }
    /// Dim (frame numbers, offsets).
    pub fn dim(self, out: &mut String, f: impl FnOnce(&mut String)) {
        self.wrap("2", out, f)
    }
}

/// How a packet's dissection ended, for summaries and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// No error.
    Ok,
    /// Decoding stopped because the capture's snaplen cut the packet: not malformed.
    TruncatedCapture,
    /// An error diagnostic on octets that were all captured.
    Malformed,
}

/// Classifies a dissection: a `truncated` error in a packet whose capture was cut short
/// is the capture's doing, not the packet's.
pub fn health(d: &Dissection) -> Health {
    let first_error = d
        .diagnostics
        .iter()
        .find(|p| p.diag.severity == Severity::Error);
    match first_error {
        None if d.truncated_capture => Health::TruncatedCapture,
        None => Health::Ok,
        Some(p) if d.truncated_capture && p.diag.kind == Some(Kind::Truncated) => {
            Health::TruncatedCapture
        }
        Some(_) => Health::Malformed,
    }
}

/// The first non-marker field named `name` in layer `li`.
pub fn layer_field<'a>(d: &'a Dissection, li: usize, name: &str) -> Option<&'a Field> {
    d.layer_fields(li)
        .iter()
        .find(|f| same_name(f.name, name) && !matches!(f.value, Value::Empty))
}

/// The first `name` of layer `li` as an unsigned integer.
pub fn layer_uint(d: &Dissection, li: usize, name: &str) -> Option<u64> {
    match layer_field(d, li, name)?.value {
        Value::U64(v) => Some(v),
        Value::Bool(b) => Some(u64::from(b)),
        _ => None,
    }
}

/// The first `name` of layer `li` as a boolean.
pub fn layer_flag(d: &Dissection, li: usize, name: &str) -> Option<bool> {
    match layer_field(d, li, name)?.value {
        Value::Bool(b) => Some(b),
        Value::U64(v) => Some(v != 0),
        _ => None,
    }
}

/// Renders the first `name` of layer `li`; false when absent.
pub fn put_field(d: &Dissection, frame: &[u8], li: usize, name: &str, out: &mut String) -> bool {
    match layer_field(d, li, name) {
        Some(f) => {
            render(d, frame, f, out);
            true
        }
        None => false,
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `v` in decimal without going through `core::fmt` (the summary's hot path).
#[inline]
pub fn push_u64(out: &mut String, v: u64) {
    if v < 10 {
        out.push(char::from(b'0' + v as u8));
    } else {
        let mut buf = [0u8; 20];
        let i = digits_into(&mut buf, 20, v);
        push_ascii(out, &buf[i..]);
    }
}

/// Appends a dotted IPv4 address.
pub fn push_ipv4(out: &mut String, a: &[u8; 4]) {
    let mut buf = [0u8; 16];
    let mut n = 0;
    for (k, &x) in a.iter().enumerate() {
        if k > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if x >= 100 {
            buf[n] = b'0' + x / 100;
            n += 1;
        }
        if x >= 10 {
            let r = usize::from(x % 100) * 2;
            buf[n] = PAIRS[r];
            buf[n + 1] = PAIRS[r + 1];
            n += 2;
        } else {
            buf[n] = b'0' + x;
            n += 1;
        }
    }
    push_ascii(out, &buf[..n]);
}

/// Appends an IEEE 802 address, lowercase with colons.
pub fn push_mac(out: &mut String, m: &[u8; 6]) {
    let mut buf = [b':'; 17];
    for (i, x) in m.iter().enumerate() {
        buf[3 * i] = HEX[usize::from(x >> 4)];
        buf[3 * i + 1] = HEX[usize::from(x & 15)];
    }
    push_ascii(out, &buf);
}

/// Appends `v` in lowercase hexadecimal without leading zeros (like `{:x}`).
pub fn push_hex_u64(out: &mut String, v: u64) {
    let digits = (64 - v.leading_zeros() as usize).div_ceil(4);
    let digits = digits.max(1);
    let mut buf = [0u8; 16];
    for (k, b) in buf[..digits].iter_mut().enumerate() {
        *b = HEX[((v >> (4 * (digits - 1 - k))) & 15) as usize];
    }
    push_ascii(out, &buf[..digits]);
}

/// Appends octets as lowercase hex, a stack buffer at a time.
pub fn push_hex_bytes(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    let mut buf = [0u8; 128];
    for chunk in bytes.chunks(64) {
        for (k, &x) in chunk.iter().enumerate() {
            buf[2 * k] = HEX[usize::from(x >> 4)];
            buf[2 * k + 1] = HEX[usize::from(x & 15)];
        }
        push_ascii(out, &buf[..chunk.len() * 2]);
    }
}

/// True when two field names are equal; compares from the end, where names sharing a
/// protocol prefix (`mvtp.…`) differ, and without a call to `memcmp`.
#[inline]
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && (a.as_ptr() == b.as_ptr() || a.bytes().rev().zip(b.bytes().rev()).all(|(x, y)| x == y))
}

/// Renders a field's value exactly as `Dissection::render` does (spec §10 formats), with
/// fast paths for integers, addresses and byte strings.
pub fn render(d: &Dissection, frame: &[u8], f: &Field, out: &mut String) {
    match &f.value {
        Value::U64(v) => push_u64(out, *v),
        Value::I64(v) => {
            if *v < 0 {
                out.push('-');
            }
            push_u64(out, v.unsigned_abs());
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Ipv4(a) => push_ipv4(out, a),
        Value::Mac(m) => push_mac(out, m),
        Value::Bytes => push_hex_bytes(out, d.field_bytes(frame, f)),
        Value::Str(s) => out.push_str(s),
        _ => d.render(frame, f, out),
    }
}

/// The protocol name of the layer a diagnostic belongs to.
pub fn diag_layer(d: &Dissection, p: &PacketDiagnostic) -> &'static str {
    d.layers.get(p.layer).map_or("frame", |l| l.proto)
}

/// Appends `s` as a JSON string literal (runs of plain characters copied at once).
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        let esc = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is at an ASCII octet, so both ends are character boundaries.
        out.push_str(s.get(start..i).unwrap_or(""));
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or(""));
    out.push('"');
}

/// Several printers in a row (`-V -x`: tree then hex).
pub struct Chain(pub Vec<Box<dyn Printer>>);

impl Printer for Chain {
    fn begin(&mut self, out: &mut String) {
        self.0.iter_mut().for_each(|p| p.begin(out));
    }
    fn packet(&mut self, p: &PacketView<'_>, out: &mut String) {
        self.0.iter_mut().for_each(|x| x.packet(p, out));
    }
    fn end(&mut self, out: &mut String) {
        self.0.iter_mut().for_each(|p| p.end(out));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BufferId;

    #[test]
    fn fast_render_matches_dissection_render() {
        let frame = [0xde, 0xad, 0x00, 0x7f];
        let d = Dissection::default();
        for value in [
            Value::U64(0),
            Value::U64(u64::MAX),
            Value::I64(-52),
            Value::I64(i64::MIN),
            Value::Bool(true),
            Value::Ipv4([198, 51, 100, 0]),
            Value::Mac([0, 0x1e, 0x49, 0x7a, 0x10, 0xff]),
            Value::Bytes,
            Value::Str("cvc"),
            Value::Text,
        ] {
            let f = Field {
                name: "x",
                buffer: BufferId::Frame,
                range: 0..4,
                value,
                depth: 0,
            };
            let (mut a, mut b) = (String::new(), String::new());
            render(&d, &frame, &f, &mut a);
            d.render(&frame, &f, &mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        json_str("a\"b\\c\nd\u{1}é", &mut s);
        assert_eq!(s, "\"a\\\"b\\\\c\\nd\\u0001é\"");
        let v: String = serde_json::from_str(&s).unwrap();
        assert_eq!(v, "a\"b\\c\nd\u{1}é");
    }

    #[test]
    fn stack_built_numbers_and_addresses_match_core_fmt() {
        for v in [
            0u64,
            7,
            9,
            10,
            99,
            100,
            255,
            1000,
            65535,
            4_294_967_295,
            u64::MAX,
        ] {
            let mut s = String::new();
            push_u64(&mut s, v);
            assert_eq!(s, format!("{v}"));
            s.clear();
            push_hex_u64(&mut s, v);
            assert_eq!(s, format!("{v:x}"));
            for w in [0usize, 2, 5, 9, 20, 40] {
                s.clear();
                push_u64_padded(&mut s, v, w, b'0');
                assert_eq!(s, format!("{v:0w$}"));
                s.clear();
                push_u64_padded(&mut s, v, w, b' ');
                assert_eq!(s, format!("{v:w$}"));
            }
        }
        for a in [
            [0u8, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 0, 100, 9],
            [198, 51, 100, 20],
        ] {
            let mut s = String::new();
            push_ipv4(&mut s, &a);
            assert_eq!(s, std::net::Ipv4Addr::from(a).to_string());
        }
        let m = [0, 0x1e, 0x49, 0x7a, 0x10, 0xff];
        let mut s = String::new();
        push_mac(&mut s, &m);
        assert_eq!(s, "00:1e:49:7a:10:ff");
        let bytes: Vec<u8> = (0..=255u8).collect();
        s.clear();
        push_hex_bytes(&mut s, &bytes);
        assert_eq!(s, ::hex::encode(&bytes));
        for ns in [
            0i128,
            5,
            999_999_999,
            1_000_000_000,
            -1,
            i128::from(u64::MAX) * 3,
        ] {
            let mut s = String::new();
            write_signed_nanos(ns, &mut s);
            let a = ns.unsigned_abs();
            let sign = if ns < 0 { "-" } else { "" };
            assert_eq!(
                s,
                format!("{sign}{}.{:09}", a / 1_000_000_000, a % 1_000_000_000)
            );
        }
    }

    #[test]
    fn padded_numbers_and_nanos() {
        let mut s = String::new();
        push_u64_padded(&mut s, 42, 5, b' ');
        push_u64_padded(&mut s, 1234567, 3, b' ');
        write_signed_nanos(-1_000_000_005, &mut s);
        assert_eq!(s, "   421234567-1.000000005");
    }
}
