//! A dissected frame: a list of layers, each a run of fields with byte ranges (STYLE §10).
//!
//! Everything is flat and reusable: a [`Dissection`] is cleared and refilled per packet, so
//! steady-state dissection allocates nothing. Fields form a tree by `depth` (a field's
//! children follow it with `depth + 1`). Values that are octets of a buffer (byte strings,
//! text) are not copied: they are the field's own range, rendered when printed.

use codec::{DecodeError, Diagnostic};
use core::ops::Range;
use std::fmt::Write as _;

/// Which octets a range refers to: the captured frame or a derived buffer
/// (a decrypted ESP payload, a revealed hidden AVP, a reassembled datagram).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum BufferId {
    /// The captured frame.
    #[default]
    Frame,
    /// `Dissection::buffers[i]`.
    Derived(u16),
}

/// A typed field value (spec §10 value types).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// No value: a subtree label (e.g. one AVP).
    None,
    /// An unsigned integer.
    U64(u64),
    /// A signed integer (dBm and the like).
    I64(i64),
    /// A boolean (single-bit flags).
    Bool(bool),
    /// An IPv4 address, printed dotted.
    Ipv4([u8; 4]),
    /// An IPv6 address.
    Ipv6([u8; 16]),
    /// An IEEE 802 address, printed lowercase with colons.
    Mac([u8; 6]),
    /// The field's own octets as lowercase hex.
    Bytes,
    /// The field's own octets as UTF-8 text (lossy: U+FFFD per invalid sequence).
    Text,
    /// A fixed string (a name, a mode).
    Str(&'static str),
    /// A computed string (rare: avoid on hot paths).
    Owned(String),
    /// Declares an always-a-list field (vectors README: `mvtp.avp.type`, …) without adding
    /// an element, so an empty list is `[]` rather than absent. Filters and outputs skip it.
    Empty,
}

/// One field: display-filter name, where its octets are, its value and its depth in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Display-filter name (`ip.src`, `mvtp.leid`).
    pub name: &'static str,
    /// The buffer `range` points into.
    pub buffer: BufferId,
    /// Octets covered, absolute within the buffer.
    pub range: Range<u32>,
    /// The value.
    pub value: Value,
    /// 0 for a layer's top-level fields; children follow their parent with depth + 1.
    pub depth: u8,
}

/// One decoded layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Protocol name, as a display filter names it (`eth`, `ip`, `mvtp`).
    pub proto: &'static str,
    /// The buffer the layer's octets are in.
    pub buffer: BufferId,
    /// The layer's octets (header and what it encloses).
    pub range: Range<u32>,
    /// Indices of its fields in [`Dissection::fields`].
    pub fields: Range<u32>,
}

/// A diagnostic attached to a packet; its offset counts from the first octet of `buffer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketDiagnostic {
    /// Index of the layer it belongs to.
    pub layer: usize,
    /// The buffer its offset refers to.
    pub buffer: BufferId,
    /// The diagnostic.
    pub diag: Diagnostic,
}

/// A dissected frame.
#[derive(Debug, Clone, Default)]
pub struct Dissection {
    /// Layers in wire order, outermost first.
    pub layers: Vec<Layer>,
    /// Every field of every layer, flat, in layer order.
    pub fields: Vec<Field>,
    /// Derived buffers (decrypted ESP payloads, revealed hidden AVPs).
    pub buffers: Vec<Vec<u8>>,
    /// Errors and warnings, in the order found.
    pub diagnostics: Vec<PacketDiagnostic>,
    /// What ended the chain early, if anything (also among `diagnostics`).
    pub stopped: Option<DecodeError>,
    /// Captured length was shorter than the wire length.
    pub truncated_capture: bool,
}

impl Dissection {
    /// Empties this dissection, keeping its allocations for the next packet.
    pub fn clear(&mut self) {
        self.layers.clear();
        self.fields.clear();
        for b in &mut self.buffers {
            b.clear();
        }
        self.buffers.clear();
        self.diagnostics.clear();
        self.stopped = None;
        self.truncated_capture = false;
    }

    /// The octets of `buffer` (`frame` for [`BufferId::Frame`]).
    pub fn buffer<'a>(&'a self, frame: &'a [u8], buffer: BufferId) -> &'a [u8] {
        match buffer {
            BufferId::Frame => frame,
            BufferId::Derived(i) => self.buffers.get(usize::from(i)).map_or(&[], Vec::as_slice),
        }
    }

    /// The octets a field covers.
    pub fn field_bytes<'a>(&'a self, frame: &'a [u8], f: &Field) -> &'a [u8] {
        let b = self.buffer(frame, f.buffer);
        b.get(f.range.start as usize..f.range.end as usize).unwrap_or(&[])
    }

    /// Fields named `name`, in packet order.
    pub fn find<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Field> + 's {
        self.fields.iter().filter(move |f| f.name == name)
    }

    /// The fields of layer `i`.
    pub fn layer_fields(&self, i: usize) -> &[Field] {
        self.layers
            .get(i)
            .and_then(|l| self.fields.get(l.fields.start as usize..l.fields.end as usize))
            .unwrap_or(&[])
    }

    /// True when a layer named `proto` is present.
    pub fn has_proto(&self, proto: &str) -> bool {
        self.layers.iter().any(|l| l.proto == proto)
    }

    /// Renders a field's value as text (spec §10 formats).
    pub fn render(&self, frame: &[u8], f: &Field, out: &mut String) {
        render_value(&f.value, self.field_bytes(frame, f), out);
    }

    /// Renders a field's value as text into a new string.
    pub fn value_string(&self, frame: &[u8], f: &Field) -> String {
        let mut s = String::new();
        self.render(frame, f, &mut s);
        s
    }

    /// A field's value as JSON (spec §10 / vectors README value types).
    pub fn to_json(&self, frame: &[u8], f: &Field) -> serde_json::Value {
        use serde_json::Value as J;
        match &f.value {
            Value::None => J::Null,
            Value::U64(v) => J::from(*v),
            Value::I64(v) => J::from(*v),
            Value::Bool(b) => J::Bool(*b),
            Value::Empty => J::Null,
            _ => J::String(self.value_string(frame, f)),
        }
    }
}

/// Renders `v` (whose octets are `bytes`) as text.
pub fn render_value(v: &Value, bytes: &[u8], out: &mut String) {
    match v {
        Value::None | Value::Empty => {}
        Value::U64(x) => {
            let _ = write!(out, "{x}");
        }
        Value::I64(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Ipv4(a) => {
            let _ = write!(out, "{}.{}.{}.{}", a[0], a[1], a[2], a[3]);
        }
        Value::Ipv6(a) => {
            let _ = write!(out, "{}", std::net::Ipv6Addr::from(*a));
        }
        Value::Mac(m) => {
            let _ = write!(out, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
        }
        Value::Bytes => {
            for b in bytes {
                let _ = write!(out, "{b:02x}");
            }
        }
        Value::Text => out.push_str(&String::from_utf8_lossy(bytes)),
        Value::Str(s) => out.push_str(s),
        Value::Owned(s) => out.push_str(s),
    }
}
