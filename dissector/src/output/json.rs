//! JSON output (`-T json`: one array; `-T jsonl`: one object per line), schema
//! `mvtp-packet/1` (docs/json-schema.md). Written by hand into the packet buffer: no
//! intermediate `serde_json::Value` per packet.

use super::{diag_layer, json_str, PacketView, Printer};
use crate::model::{Dissection, Field, Value};
use std::fmt::Write as _;

/// The schema name every packet object carries.
pub const SCHEMA: &str = "mvtp-packet/1";

/// JSON printer.
pub struct JsonPrinter {
    lines: bool,
    first: bool,
    scratch: Scratch,
}

/// Reused buffers of the JSON writer.
#[derive(Default)]
pub struct Scratch {
    text: String,
    done: Vec<bool>,
}

impl JsonPrinter {
    /// `lines`: one object per line (JSON Lines) instead of one array.
    pub fn new(lines: bool) -> Self {
        Self {
            lines,
            first: true,
            scratch: Scratch::default(),
        }
    }
}

impl Printer for JsonPrinter {
    fn begin(&mut self, out: &mut String) {
        if !self.lines {
            out.push('[');
        }
    }

    fn packet(&mut self, p: &PacketView<'_>, out: &mut String) {
        if !self.lines {
            out.push_str(if self.first { "\n  " } else { ",\n  " });
        }
        self.first = false;
        packet_object(p, &mut self.scratch, out);
        if self.lines {
            out.push('\n');
        }
    }

    fn end(&mut self, out: &mut String) {
        if !self.lines {
            out.push_str(if self.first { "]\n" } else { "\n]\n" });
        }
    }
}

/// Writes one packet as a single-line JSON object.
pub fn packet_object(p: &PacketView<'_>, scratch: &mut Scratch, out: &mut String) {
    let d = p.d;
    let _ = write!(
        out,
        "{{\"schema\":\"{SCHEMA}\",\"frame\":{},\"ts\":\"",
        p.number
    );
    p.ts.write_rfc3339(out);
    let _ = write!(
        out,
        "\",\"caplen\":{},\"len\":{},\"linktype\":{},\"layers\":[",
        p.frame.len(),
        p.orig_len,
        p.linktype.0
    );
    for (li, l) in d.layers.iter().enumerate() {
        if li > 0 {
            out.push(',');
        }
        out.push_str("{\"proto\":");
        json_str(l.proto, out);
        let _ = write!(
            out,
            ",\"offset\":{},\"len\":{},\"fields\":{{",
            l.range.start,
            l.range.end.saturating_sub(l.range.start)
        );
        layer_fields(d, p.frame, d.layer_fields(li), scratch, out);
        out.push_str("}}");
    }
    out.push_str("],\"diagnostics\":[");
    for (i, pd) in d.diagnostics.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let g = &pd.diag;
        out.push_str("{\"severity\":");
        json_str(g.severity.as_str(), out);
        out.push_str(",\"layer\":");
        json_str(diag_layer(d, pd), out);
        out.push_str(",\"field\":");
        json_str(g.field, out);
        out.push_str(",\"kind\":");
        match g.kind {
            Some(k) => json_str(k.as_str(), out),
            None => out.push_str("null"),
        }
        out.push_str(",\"clause\":");
        match g.clause {
            Some(c) => json_str(c, out),
            None => out.push_str("null"),
        }
        let _ = write!(out, ",\"offset\":{},\"message\":", g.offset);
        json_str(&g.detail, out);
        out.push('}');
    }
    out.push_str("]}");
}

/// `name: [values]` for each distinct name of `fields`, in order of first occurrence.
/// Quadratic in the fields of one layer (tens), allocation-free in steady state.
fn layer_fields(
    d: &Dissection,
    frame: &[u8],
    fields: &[Field],
    scratch: &mut Scratch,
    out: &mut String,
) {
    scratch.done.clear();
    scratch.done.resize(fields.len(), false);
    let mut first = true;
    for (i, f) in fields.iter().enumerate() {
        if scratch.done[i] {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        json_str(f.name, out);
        out.push_str(":[");
        let mut n = 0;
        for (j, g) in fields.iter().enumerate().skip(i) {
            if g.name != f.name {
                continue;
            }
            scratch.done[j] = true;
            if g.value == Value::Empty {
                continue;
            }
            if n > 0 {
                out.push(',');
            }
            n += 1;
            value(d, frame, g, &mut scratch.text, out);
        }
        out.push(']');
    }
}

/// One value: numbers and booleans bare, labels `null`, everything else a string.
pub fn value(d: &Dissection, frame: &[u8], f: &Field, scratch: &mut String, out: &mut String) {
    match &f.value {
        Value::U64(v) => {
            let _ = write!(out, "{v}");
        }
        Value::I64(v) => {
            let _ = write!(out, "{v}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::None | Value::Empty => out.push_str("null"),
        _ => {
            scratch.clear();
            super::render(d, frame, f, scratch);
            json_str(scratch, out);
        }
    }
}
