//! Live capture (`-i`, `-f`, `-D`) through libpcap, behind the `live` cargo feature so the
//! default build needs no system library. Without the feature every entry point returns a
//! clear error naming the feature.

use dissector::capture::Packet;

#[cfg(feature = "live")]
mod imp {
    use codec::numbers::LinkType;
    use dissector::capture::{Packet, Timestamp};

    /// An open interface.
    pub struct Live {
        cap: pcap::Capture<pcap::Active>,
        linktype: LinkType,
        buf: Vec<u8>,
    }

    /// Opens `iface` (promiscuous, 256 KiB snaplen, immediate mode) with an optional BPF filter.
    pub fn open(iface: &str, filter: Option<&str>) -> Result<Live, String> {
        let cap = pcap::Capture::from_device(iface)
            .map_err(|e| format!("{iface}: {e}"))?
            .promisc(true)
            .snaplen(262_144)
            .timeout(250)
            .immediate_mode(true)
            .open()
            .map_err(|e| format!("{iface}: {e}"))?;
        let mut cap = cap;
        if let Some(f) = filter {
            cap.filter(f, true)
                .map_err(|e| format!("capture filter {f:?}: {e}"))?;
        }
        let linktype = LinkType(u16::try_from(cap.get_datalink().0).unwrap_or(u16::MAX));
        Ok(Live {
            cap,
            linktype,
            buf: Vec::new(),
        })
    }

    impl Live {
        /// The interface's link type.
        pub fn linktype(&self) -> LinkType {
            self.linktype
        }

        /// The next packet; `None` when the capture ends.
        // `time_t` is i64 here but i32 on some targets: the conversion is not useless everywhere.
        #[allow(clippy::useless_conversion)]
        pub fn next(&mut self) -> Result<Option<Packet<'_>>, String> {
            // Copied into a reused buffer: a borrow returned from inside the retry loop
            // would outlive the loop's other iterations (NLL problem case #3).
            let (ts, orig_len) = loop {
                match self.cap.next_packet() {
                    Ok(p) => {
                        let ts = Timestamp {
                            secs: i64::from(p.header.ts.tv_sec),
                            nanos: (p.header.ts.tv_usec as u32).saturating_mul(1000),
                        };
                        self.buf.clear();
                        self.buf.extend_from_slice(p.data);
                        break (ts, p.header.len);
                    }
                    Err(pcap::Error::TimeoutExpired) => continue,
                    Err(pcap::Error::NoMorePackets) => return Ok(None),
                    Err(e) => return Err(e.to_string()),
                }
            };
            Ok(Some(Packet {
                ts,
                linktype: self.linktype,
                interface: 0,
                orig_len,
                data: &self.buf,
                comment: None,
            }))
        }
    }

    /// Interfaces libpcap can open: (name, description).
    pub fn list() -> Result<Vec<(String, Option<String>)>, String> {
        let devs = pcap::Device::list().map_err(|e| e.to_string())?;
        Ok(devs.into_iter().map(|d| (d.name, d.desc)).collect())
    }
}

#[cfg(not(feature = "live"))]
mod imp {
    use dissector::capture::Packet;

    const MISSING: &str = "live capture (-i, -f, -D) needs mvtp built with the `live` feature \
                           (cargo build -p mvtp --features live; requires libpcap), \
                           or capture with tcpdump -w - and pipe into mvtp read -r -";

    /// Never constructed without the feature.
    pub enum Live {}

    pub fn open(_iface: &str, _filter: Option<&str>) -> Result<Live, String> {
        Err(MISSING.into())
    }

    impl Live {
        pub fn linktype(&self) -> codec::numbers::LinkType {
            match *self {}
        }

        pub fn next(&mut self) -> Result<Option<Packet<'_>>, String> {
            match *self {}
        }
    }

    pub fn list() -> Result<Vec<(String, Option<String>)>, String> {
        Err(MISSING.into())
    }
}

pub use imp::{list, open, Live};

/// Keeps the signature of `Live::next` visible to both builds.
#[allow(dead_code)]
fn _next_type(l: &mut Live) -> Result<Option<Packet<'_>>, String> {
    l.next()
}
