//! Field tables (`-T fields -e NAME …`), like `tshark -T fields`: one line per packet, one
//! column per field, the occurrences of a repeated field joined by `,`, absent fields
//! empty. Besides the registry (`codec::fields`), the `frame.*` columns below exist.

use super::{PacketView, Printer, TimeFormat};
use crate::model::Value;
use codec::fields::{FieldDef, FieldType};
use std::fmt::Write as _;

/// Columns about the capture record rather than the octets.
pub const FRAME_FIELDS: &[FieldDef] = &[
    FieldDef::new(
        "frame.number",
        FieldType::Uint,
        "Frame number, 1-based, in capture order",
    ),
    FieldDef::new(
        "frame.time",
        FieldType::Text,
        "Capture time, RFC 3339 UTC with nanoseconds",
    ),
    FieldDef::new(
        "frame.time_epoch",
        FieldType::Text,
        "Capture time, seconds since the epoch",
    ),
    FieldDef::new(
        "frame.time_relative",
        FieldType::Text,
        "Seconds since the first packet",
    ),
    FieldDef::new(
        "frame.time_delta",
        FieldType::Text,
        "Seconds since the previous captured packet",
    ),
    FieldDef::new(
        "frame.time_delta_displayed",
        FieldType::Text,
        "Seconds since the previous displayed packet",
    ),
    FieldDef::new("frame.len", FieldType::Uint, "Length on the wire"),
    FieldDef::new("frame.cap_len", FieldType::Uint, "Captured length"),
    FieldDef::new("frame.linktype", FieldType::Uint, "pcap link type"),
    FieldDef::new(
        "frame.protocols",
        FieldType::Text,
        "The layers, colon-separated (eth:ip:gre:mvtp)",
    ),
    FieldDef::new("frame.comment", FieldType::Text, "pcapng packet comment"),
];

/// True when `name` can be a column.
pub fn known(name: &str) -> bool {
    FRAME_FIELDS.iter().any(|f| f.name == name) || codec::fields::lookup(name).is_some()
}

/// The registered name closest to `name` (for "did you mean").
pub fn suggest(name: &str) -> Option<&'static str> {
    codec::fields::all()
        .chain(FRAME_FIELDS.iter())
        .map(|f| (distance(name, f.name), f.name))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, n)| n)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Field table printer.
pub struct FieldsPrinter {
    names: Vec<String>,
    separator: String,
    header: bool,
    scratch: String,
}

impl FieldsPrinter {
    /// Columns `names`, separated by `separator`; `header` prints the names first.
    pub fn new(names: Vec<String>, separator: String, header: bool) -> Self {
        Self {
            names,
            separator,
            header,
            scratch: String::new(),
        }
    }
}

impl Printer for FieldsPrinter {
    fn begin(&mut self, out: &mut String) {
        if self.header {
            out.push_str(&self.names.join(&self.separator));
            out.push('\n');
        }
    }

    fn packet(&mut self, p: &PacketView<'_>, out: &mut String) {
        for (i, name) in self.names.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.separator);
            }
            if name.starts_with("frame.") {
                self.scratch.clear();
                column(p, name, &mut self.scratch);
                escape(&self.scratch, &self.separator, out);
                continue;
            }
            // Each occurrence escaped on its own, so the `,` between them stays a `,`.
            let mut n = 0;
            for f in
                p.d.fields
                    .iter()
                    .filter(|f| f.name == name.as_str() && f.value != Value::Empty)
            {
                if n > 0 {
                    out.push(',');
                }
                n += 1;
                self.scratch.clear();
                super::render(p.d, p.frame, f, &mut self.scratch);
                escape(&self.scratch, &self.separator, out);
            }
            if n == 0 && p.d.layers.iter().any(|l| l.proto == name.as_str()) {
                out.push_str(name);
            }
        }
        out.push('\n');
    }
}

/// The text of one column.
pub fn column(p: &PacketView<'_>, name: &str, out: &mut String) {
    let time = |f: TimeFormat, out: &mut String| f.write(p, out);
    match name {
        "frame.number" => {
            let _ = write!(out, "{}", p.number);
        }
        "frame.time" => p.ts.write_rfc3339(out),
        "frame.time_epoch" => time(TimeFormat::Epoch, out),
        "frame.time_relative" => time(TimeFormat::Relative, out),
        "frame.time_delta" => time(TimeFormat::Delta, out),
        "frame.time_delta_displayed" => time(TimeFormat::DeltaDisplayed, out),
        "frame.len" => {
            let _ = write!(out, "{}", p.orig_len);
        }
        "frame.cap_len" => {
            let _ = write!(out, "{}", p.frame.len());
        }
        "frame.linktype" => {
            let _ = write!(out, "{}", p.linktype.0);
        }
        "frame.comment" => out.push_str(p.comment.unwrap_or("")),
        "frame.protocols" => {
            for (i, l) in p.d.layers.iter().enumerate() {
                if i > 0 {
                    out.push(':');
                }
                out.push_str(l.proto);
            }
        }
        _ => {
            let mut n = 0;
            for f in
                p.d.fields
                    .iter()
                    .filter(|f| f.name == name && f.value != Value::Empty)
            {
                if n > 0 {
                    out.push(',');
                }
                n += 1;
                super::render(p.d, p.frame, f, out);
            }
            if n == 0 && p.d.layers.iter().any(|l| l.proto == name) {
                out.push_str(name);
            }
        }
    }
}

/// Copies `s`, escaping backslash, control characters and the separator.
fn escape(s: &str, sep: &str, out: &mut String) {
    if !s.contains(|c: char| c == '\\' || c.is_control()) && (sep.is_empty() || !s.contains(sep)) {
        out.push_str(s);
        return;
    }
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if !sep.is_empty() && rest.starts_with(sep) {
            for ch in sep.chars() {
                let _ = write!(out, "\\x{:02x}", ch as u32);
            }
            rest = &rest[sep.len()..];
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
}
