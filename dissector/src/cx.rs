//! The context a layer dissector writes into: fields with ranges, diagnostics, keys.
//!
//! A layer function has the shape
//! `fn dissect(cx: &mut Cx, data: &[u8], at: Range<usize>) -> Next`: `data` is the whole
//! current buffer (frame or derived), `at` the octets this layer may use (bounded by the
//! enclosing layer's length). Field ranges are absolute within `data`.

use crate::engine::Config;
use crate::keys::Keys;
use crate::model::{BufferId, Dissection, Field, Layer, PacketDiagnostic, Value};
use codec::{DecodeError, Diagnostic};
use core::ops::Range;

/// Writing side of a [`Dissection`] for layer dissectors.
pub struct Cx<'a> {
    pub(crate) out: &'a mut Dissection,
    pub(crate) buffer: BufferId,
    pub(crate) depth: u8,
    pub(crate) keys: &'a Keys,
    pub(crate) config: &'a Config,
    /// Original (wire) length of the frame minus captured length: >0 when truncated by snaplen.
    pub(crate) missing: usize,
    pub(crate) reassembly: &'a mut crate::reassembly::Reassembler,
    pub(crate) now: f64,
}

impl<'a> Cx<'a> {
    /// The keys given by the user (`--keys`, `-E`).
    pub fn keys(&self) -> &Keys {
        self.keys
    }

    /// Dissector configuration (ports, decode-as overrides).
    pub fn config(&self) -> &Config {
        self.config
    }

    /// The buffer being dissected.
    pub fn buffer(&self) -> BufferId {
        self.buffer
    }

    /// Octets of the packet the snaplen cut off (0 for a whole packet).
    pub fn missing(&self) -> usize {
        self.missing
    }

    /// Adds an IPv4 fragment to the capture's reassembly state (RFC 791 §3.2). On
    /// `Complete`, the IPv4 layer continues in a derived buffer holding the whole payload:
    /// `Next::Buffer(payload, Box::new(Next::Ip(proto, 0..len)))`.
    pub fn reassemble_ipv4(&mut self, key: crate::reassembly::Key, offset: usize, more: bool, data: &[u8]) -> crate::reassembly::Outcome {
        self.reassembly.add(self.now, key, offset, more, data)
    }

    /// Starts a new layer covering `range` of the current buffer.
    pub fn layer(&mut self, proto: &'static str, range: Range<usize>) {
        self.close_layer();
        let n = self.out.fields.len() as u32;
        self.out.layers.push(Layer { proto, buffer: self.buffer, range: r32(range), fields: n..n });
        self.depth = 0;
    }

    /// Extends the current layer's range (when its end is known only after parsing).
    pub fn set_layer_end(&mut self, end: usize) {
        if let Some(l) = self.out.layers.last_mut() {
            l.range.end = end as u32;
        }
    }

    pub(crate) fn close_layer(&mut self) {
        let n = self.out.fields.len() as u32;
        if let Some(l) = self.out.layers.last_mut() {
            l.fields.end = n;
        }
    }

    /// Adds a field at the current depth.
    pub fn field(&mut self, name: &'static str, range: Range<usize>, value: Value) {
        self.out.fields.push(Field { name, buffer: self.buffer, range: r32(range), value, depth: self.depth });
    }

    /// Adds a field and makes the following fields its children until [`Self::pop`].
    pub fn push(&mut self, name: &'static str, range: Range<usize>, value: Value) {
        self.field(name, range, value);
        self.depth = self.depth.saturating_add(1);
    }

    /// Ends the children of the last [`Self::push`].
    pub fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Stores derived octets (a revealed hidden AVP, a reassembled datagram) and returns
    /// their buffer id, for fields that point into them with [`Self::field_in`].
    pub fn add_buffer(&mut self, octets: Vec<u8>) -> BufferId {
        let id = u16::try_from(self.out.buffers.len()).unwrap_or(u16::MAX);
        self.out.buffers.push(octets);
        BufferId::Derived(id)
    }

    /// Adds a field whose range points into another buffer (from [`Self::add_buffer`]).
    pub fn field_in(&mut self, buffer: BufferId, name: &'static str, range: Range<usize>, value: Value) {
        self.out.fields.push(Field { name, buffer, range: r32(range), value, depth: self.depth });
    }

    /// Convenience: an unsigned integer field.
    pub fn uint(&mut self, name: &'static str, range: Range<usize>, v: impl Into<u64>) {
        self.field(name, range, Value::U64(v.into()));
    }

    /// Convenience: a boolean field.
    pub fn flag(&mut self, name: &'static str, range: Range<usize>, v: bool) {
        self.field(name, range, Value::Bool(v));
    }

    /// Records a diagnostic whose offset is relative to `base` in the current buffer.
    pub fn diag_at(&mut self, base: usize, d: Diagnostic) {
        let layer = self.out.layers.len().saturating_sub(1);
        self.out.diagnostics.push(PacketDiagnostic { layer, buffer: self.buffer, diag: d.rebased(base) });
    }

    /// Records the error that stops this chain; its offset is relative to `base`.
    pub fn stop_at(&mut self, base: usize, e: DecodeError) -> crate::engine::Next {
        let e = e.rebased(base);
        self.diag_at(0, e.to_diagnostic());
        if self.out.stopped.is_none() {
            self.out.stopped = Some(e);
        }
        crate::engine::Next::Stop
    }

    /// The value of the last field named `name` in this packet so far.
    pub fn last_value(&self, name: &str) -> Option<&Value> {
        self.out.fields.iter().rev().find(|f| f.name == name).map(|f| &f.value)
    }

    /// Layers decoded so far in this packet.
    pub fn layers(&self) -> &[Layer] {
        &self.out.layers
    }
}

fn r32(r: Range<usize>) -> Range<u32> {
    // Frames are far below 4 GiB (pcap caps a packet at 256 KiB); saturate rather than wrap.
    let c = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    c(r.start)..c(r.end)
}
