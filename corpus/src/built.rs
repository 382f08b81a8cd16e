//! One generated scenario capture, whatever produced it: the links it was captured on, its
//! frames in capture order, its keys and the findings its injected faults must produce.
//!
//! Every scenario family (the MVTP simulator in [`crate::scenarios`], and the L2TP and
//! Mobile IPv4 families) hands its result over as a [`Built`]; [`Built::files`] writes the
//! corpus files of one scenario and [`Built::manifest_entry`] its `manifest.toml` entry, so
//! that every family's captures are laid out, listed and tested the same way.

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{InterfaceDescriptionBlock, InterfaceDescriptionOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use std::borrow::Cow;
use std::time::Duration;

/// A link a scenario was captured on.
#[derive(Debug, Clone)]
pub struct BuiltLink {
    /// Short name, used in file and interface names (`fa1`, `core`, `lan`, …).
    pub name: String,
    /// The captures' link type.
    pub datalink: DataLink,
    /// Framing description for the manifest (`ethernet-dix`, `ethernet-ipv4-gre`, …).
    pub framing: String,
}

/// One frame, in capture order.
#[derive(Debug, Clone)]
pub struct BuiltFrame {
    /// Capture time, milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// Index into [`Built::links`].
    pub link: usize,
    /// The frame octets.
    pub octets: Vec<u8>,
}

/// One finding an injected fault must produce.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    /// Rule ID (`PROC-7`, `L2TP-1`, …).
    pub rule: String,
    /// 1-based frame number in the merged capture.
    pub frame: u64,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// The agent and knob that injected it.
    pub knob: String,
}

/// A generated scenario.
#[derive(Debug, Clone)]
pub struct Built {
    /// The capture's file stem.
    pub name: String,
    /// One line for the manifest.
    pub description: String,
    /// Spec sections (or RFC sections) it exercises.
    pub sections: String,
    /// The links, in interface order of the merged capture.
    pub links: Vec<BuiltLink>,
    /// The frames in capture order.
    pub frames: Vec<BuiltFrame>,
    /// The `--keys` file's content.
    pub keys: serde_json::Value,
    /// The fault knobs turned on.
    pub faults: Vec<String>,
    /// The findings the faults must produce, sorted.
    pub expected: Vec<Expected>,
}

fn ts(at_ms: u64) -> Duration {
    Duration::from_millis(at_ms)
}

impl Built {
    /// A classic pcap (microseconds) of the frames of link `i`.
    pub fn link_pcap(&self, i: usize) -> Result<Vec<u8>, String> {
        let link = self.links.get(i).ok_or("no such link")?;
        let header = PcapHeader {
            datalink: link.datalink,
            snaplen: 65535,
            ..Default::default()
        };
        let mut w = PcapWriter::with_header(Vec::new(), header).map_err(|e| e.to_string())?;
        for f in self.frames.iter().filter(|f| f.link == i) {
            w.write_packet(&PcapPacket::new(ts(f.at_ms), f.octets.len() as u32, &f.octets))
                .map_err(|e| e.to_string())?;
        }
        Ok(w.into_writer())
    }

    /// The merged capture: pcapng with one interface per link, every frame in capture order.
    pub fn merged(&self) -> Result<Vec<u8>, String> {
        let mut w = PcapNgWriter::new(Vec::new()).map_err(|e| e.to_string())?;
        for l in &self.links {
            let mut idb = InterfaceDescriptionBlock::new(l.datalink, 0xFFFF);
            idb.options.push(InterfaceDescriptionOption::IfName(Cow::Owned(l.name.clone())));
            idb.options.push(InterfaceDescriptionOption::IfTsResol(9));
            w.write_pcapng_block(idb).map_err(|e| e.to_string())?;
        }
        for f in &self.frames {
            if f.link >= self.links.len() {
                return Err(format!("{}: frame on an undeclared link", self.name));
            }
            let epb = EnhancedPacketBlock {
                interface_id: f.link as u32,
                timestamp: ts(f.at_ms),
                original_len: f.octets.len() as u32,
                data: Cow::Borrowed(&f.octets),
                options: vec![],
            };
            w.write_pcapng_block(epb).map_err(|e| e.to_string())?;
        }
        Ok(w.into_inner())
    }

    /// The expectation file (`dissector::check::report::Expectations` format).
    pub fn expect_toml(&self) -> String {
        let name = &self.name;
        let mut t = format!(
            "# {name}: the findings of the faults the simulator injected (not the engine's output).\n\
             # Regenerate with `cargo run -p corpus -- generate`.\n"
        );
        if self.expected.is_empty() {
            t.push_str("# No fault injected: no finding expected.\nexpect = []\n");
        }
        for e in &self.expected {
            t.push_str(&format!(
                "\n# injected by {}\n[[expect]]\nrule = \"{}\"\nframe = {}\nseverity = \"{}\"\n",
                e.knob, e.rule, e.frame, e.severity
            ));
        }
        t
    }

    /// Every file of the scenario: `NAME.pcapng`, `NAME.LINK.pcap` per link,
    /// `NAME.keys.json`, `NAME.expect.toml`.
    pub fn files(&self) -> Result<Vec<(String, Vec<u8>)>, String> {
        let mut out = vec![(format!("{}.pcapng", self.name), self.merged()?)];
        for (i, l) in self.links.iter().enumerate() {
            out.push((format!("{}.{}.pcap", self.name, l.name), self.link_pcap(i)?));
        }
        let mut keys = serde_json::to_vec_pretty(&self.keys).map_err(|e| e.to_string())?;
        keys.push(b'\n');
        out.push((format!("{}.keys.json", self.name), keys));
        out.push((format!("{}.expect.toml", self.name), self.expect_toml().into_bytes()));
        Ok(out)
    }

    /// The scenario's `[[capture]]` entry of `manifest.toml`.
    pub fn manifest_entry(&self) -> String {
        let q = |x: &str| format!("{x:?}");
        let links: Vec<String> = self.links.iter().map(|l| q(&format!("{}:{}", l.name, l.framing))).collect();
        let link_files: Vec<String> = self
            .links
            .iter()
            .map(|l| q(&format!("captures/{}.{}.pcap", self.name, l.name)))
            .collect();
        let faults: Vec<String> = self.faults.iter().map(|f| q(f)).collect();
        let findings: Vec<String> = self
            .expected
            .iter()
            .map(|e| q(&format!("{} frame {} {}", e.rule, e.frame, e.severity)))
            .collect();
        format!(
            "\n[[capture]]\nname = {}\nfile = {}\nkeys = {}\nexpect = {}\nscenario = {}\nsections = {}\nlinks = [{}]\nlink_files = [{}]\nframes = {}\nfaults = [{}]\nexpected_findings = [{}]\n",
            q(&self.name),
            q(&format!("captures/{}.pcapng", self.name)),
            q(&format!("captures/{}.keys.json", self.name)),
            q(&format!("captures/{}.expect.toml", self.name)),
            q(&self.description),
            q(&self.sections),
            links.join(", "),
            link_files.join(", "),
            self.frames.len(),
            faults.join(", "),
            findings.join(", "),
        )
    }
}
