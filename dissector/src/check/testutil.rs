//! Builds dissections by hand for rule tests.

use crate::model::{BufferId, Dissection, Field, Layer, Value};

/// A packet under construction: layers of fields; byte fields append to the frame.
#[derive(Default)]
pub(crate) struct Pkt {
    pub d: Dissection,
    pub frame: Vec<u8>,
}

impl Pkt {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a layer.
    pub fn layer(mut self, proto: &'static str) -> Self {
        let n = self.d.fields.len() as u32;
        if let Some(l) = self.d.layers.last_mut() {
            l.fields.end = n;
        }
        let at = self.frame.len() as u32;
        self.d.layers.push(Layer { proto, buffer: BufferId::Frame, range: at..at, fields: n..n });
        self
    }

    /// Adds a field to the current layer.
    pub fn f(mut self, name: &'static str, value: Value) -> Self {
        self.d.fields.push(Field { name, buffer: BufferId::Frame, range: 0..0, value, depth: 0 });
        let n = self.d.fields.len() as u32;
        if let Some(l) = self.d.layers.last_mut() {
            l.fields.end = n;
        }
        self
    }

    pub fn u(self, name: &'static str, v: u64) -> Self {
        self.f(name, Value::U64(v))
    }

    pub fn b(self, name: &'static str, v: bool) -> Self {
        self.f(name, Value::Bool(v))
    }

    /// A byte-string field whose octets are appended to the frame.
    pub fn bytes(mut self, name: &'static str, octets: &[u8]) -> Self {
        let at = self.frame.len() as u32;
        self.frame.extend_from_slice(octets);
        self.d.fields.push(Field { name, buffer: BufferId::Frame, range: at..at + octets.len() as u32, value: Value::Bytes, depth: 0 });
        let n = self.d.fields.len() as u32;
        if let Some(l) = self.d.layers.last_mut() {
            l.fields.end = n;
        }
        self
    }

    /// Ethernet + IPv4 headers.
    pub fn eth_ip(self, src_mac: [u8; 6], dst_mac: [u8; 6], src: [u8; 4], dst: [u8; 4], proto: u64) -> Self {
        self.layer("eth")
            .f("eth.dst", Value::Mac(dst_mac))
            .f("eth.src", Value::Mac(src_mac))
            .layer("ip")
            .f("ip.src", Value::Ipv4(src))
            .f("ip.dst", Value::Ipv4(dst))
            .u("ip.proto", proto)
    }

    pub fn udp(self, sport: u64, dport: u64) -> Self {
        self.layer("udp").u("udp.srcport", sport).u("udp.dstport", dport)
    }
}

/// Runs a checker over packets `(time, packet)`; returns (rule, frame) of every finding.
pub(crate) fn run(cfg: super::CheckConfig, pkts: Vec<(f64, Pkt)>) -> Vec<(&'static str, u64)> {
    let mut c = super::Checker::new(cfg);
    for (i, (ts, p)) in pkts.iter().enumerate() {
        c.packet(i as u64 + 1, *ts, &p.d, &p.frame);
    }
    c.finish(true).findings.iter().map(|f| (f.rule, f.frame)).collect()
}
