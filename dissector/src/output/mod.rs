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
                let sod = p.ts.secs.rem_euclid(86_400);
                if self == TimeFormat::AbsoluteDate {
                    let (y, m, d) = crate::capture::civil_from_days(p.ts.secs.div_euclid(86_400));
                    let _ = write!(out, "{y:04}-{m:02}-{d:02} ");
                }
                let _ = write!(
                    out,
                    "{:02}:{:02}:{:02}.{:09}",
                    sod / 3600,
                    sod / 60 % 60,
                    sod % 60,
                    p.ts.nanos
                );
            }
            TimeFormat::Relative => write_signed_nanos(p.ts.nanos_since(p.first_ts), out),
            TimeFormat::Delta => write_signed_nanos(p.ts.nanos_since(p.prev_ts), out),
            TimeFormat::DeltaDisplayed => write_signed_nanos(p.ts.nanos_since(p.prev_displayed_ts), out),
            TimeFormat::Epoch => write_signed_nanos(i128::from(p.ts.secs) * 1_000_000_000 + i128::from(p.ts.nanos), out),
        }
    }
}

/// Writes nanoseconds as seconds with 9 decimals.
pub fn write_signed_nanos(ns: i128, out: &mut String) {
    let sign = if ns < 0 { "-" } else { "" };
    let a = ns.unsigned_abs();
    let _ = write!(out, "{sign}{}.{:09}", a / 1_000_000_000, a % 1_000_000_000);
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
    let first_error = d.diagnostics.iter().find(|p| p.diag.severity == Severity::Error);
    match first_error {
        None if d.truncated_capture => Health::TruncatedCapture,
        None => Health::Ok,
        Some(p) if d.truncated_capture && p.diag.kind == Some(Kind::Truncated) => Health::TruncatedCapture,
        Some(_) => Health::Malformed,
    }
}

/// The first non-marker field named `name` in layer `li`.
pub fn layer_field<'a>(d: &'a Dissection, li: usize, name: &str) -> Option<&'a Field> {
    d.layer_fields(li).iter().find(|f| f.name == name && f.value != Value::Empty)
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
            d.render(frame, f, out);
            true
        }
        None => false,
    }
}

/// The protocol name of the layer a diagnostic belongs to.
pub fn diag_layer(d: &Dissection, p: &PacketDiagnostic) -> &'static str {
    d.layers.get(p.layer).map_or("frame", |l| l.proto)
}

/// Appends `s` as a JSON string literal.
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
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
