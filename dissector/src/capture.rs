//! Capture input and output: pcap (µs and ns, both byte orders) and pcapng (sections,
//! several interfaces with their own link types and timestamp resolutions, packet
//! comments), read from any [`Read`] — a file, stdin, a file that is still growing.
//!
//! Streaming with constant memory: one reusable buffer holds at most one record (capped by
//! [`MAX_RECORD`]); a record's length field never drives an allocation beyond that cap.
//! pcap records come from `pcap-file`'s slice parser (`PcapParser::next_raw_packet`), which
//! says `IncompleteBuffer` when more octets are needed — exactly what following a growing
//! file needs. pcapng blocks (SHB, IDB, EPB, SPB, PB) are framed and read here, because
//! `pcap-file` 2 ignores `if_tsresol`, rejects records longer than the snaplen and fails a
//! whole block on one odd option; writing uses `pcap-file`'s writers.

use codec::numbers::LinkType;
use pcap_file::pcap::{PcapHeader, PcapParser, PcapWriter, RawPcapPacket};
use pcap_file::PcapError;
use std::fmt;
use std::io::{self, Read, Write};
use std::time::Duration;

/// Largest record (pcap packet record or pcapng block) accepted: 16 MiB. A longer length
/// field means a damaged file (libpcap's own limit is 256 KiB for most link types).
pub const MAX_RECORD: usize = 16 << 20;
/// How much is read from the source at a time.
const READ_CHUNK: usize = 256 << 10;
/// pcapng block types (pcapng draft §4).
mod block {
    pub const SHB: u32 = 0x0A0D_0D0A;
    pub const IDB: u32 = 1;
    pub const PB: u32 = 2;
    pub const SPB: u32 = 3;
    pub const EPB: u32 = 6;
}
/// pcapng option codes used here.
mod opt {
    pub const END: u16 = 0;
    pub const COMMENT: u16 = 1;
    pub const IF_TSRESOL: u16 = 9;
    pub const IF_TSOFFSET: u16 = 14;
}
/// pcap magic numbers as read big-endian.
mod magic {
    pub const US_BE: u32 = 0xA1B2_C3D4;
    pub const NS_BE: u32 = 0xA1B2_3C4D;
    pub const US_LE: u32 = 0xD4C3_B2A1;
    pub const NS_LE: u32 = 0x4D3C_B2A1;
    pub const KUZNETZOV_BE: u32 = 0xA1B2_CD34;
    pub const KUZNETZOV_LE: u32 = 0x34CD_B2A1;
    pub const PCAPNG: u32 = 0x0A0D_0D0A;
    pub const GZIP: u16 = 0x1F8B;
}

/// A capture timestamp: seconds and nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Timestamp {
    /// Seconds since the epoch (negative before 1970).
    pub secs: i64,
    /// Nanoseconds, 0..1e9.
    pub nanos: u32,
}

impl Timestamp {
    /// Seconds as a float (for statistics and reassembly timeouts).
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// `self - earlier` in nanoseconds (saturating).
    pub fn nanos_since(self, earlier: Timestamp) -> i128 {
        (i128::from(self.secs) - i128::from(earlier.secs)) * 1_000_000_000 + i128::from(self.nanos)
            - i128::from(earlier.nanos)
    }

    /// As a `Duration` since the epoch (0 before 1970).
    pub fn as_duration(self) -> Duration {
        if self.secs < 0 {
            Duration::ZERO
        } else {
            Duration::new(self.secs as u64, self.nanos)
        }
    }

    /// Writes RFC 3339 UTC with nanoseconds: `2026-11-23T20:26:11.123456789Z`.
    pub fn write_rfc3339(self, out: &mut String) {
        use std::fmt::Write as _;
        let days = self.secs.div_euclid(86_400);
        let sod = self.secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let _ = write!(
            out,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
            sod / 3600,
            sod / 60 % 60,
            sod % 60,
            self.nanos
        );
    }
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Which file format a capture is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap.
    Pcap {
        /// Timestamps in nanoseconds (magic 0xA1B23C4D) rather than microseconds.
        nanos: bool,
        /// Header and records in big-endian order.
        big_endian: bool,
        /// The file's link type.
        linktype: LinkType,
        /// The file's snapshot length.
        snaplen: u32,
    },
    /// pcapng.
    PcapNg,
}

/// One packet of a capture, borrowed from the reader's buffer until the next call.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Capture time.
    pub ts: Timestamp,
    /// Link type of the interface it was captured on.
    pub linktype: LinkType,
    /// pcapng interface index (0 for pcap).
    pub interface: u32,
    /// Length on the wire (≥ `data.len()`; larger when the snaplen cut the packet).
    pub orig_len: u32,
    /// The captured octets.
    pub data: &'a [u8],
    /// The pcapng packet comment (first `opt_comment`), if any.
    pub comment: Option<&'a str>,
}

/// Why a capture could not be read.
#[derive(Debug)]
pub enum CaptureError {
    /// The source could not be read.
    Io(io::Error),
    /// The first octets are not a pcap or pcapng header.
    NotACapture(String),
    /// A record is damaged beyond resynchronisation (bad length, bad magic).
    Malformed {
        /// Offset of the record in the stream.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// The stream ended inside a record.
    TruncatedFile {
        /// Offset of the incomplete record.
        offset: u64,
        /// Octets of it present.
        have: usize,
    },
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Io(e) => write!(f, "read error: {e}"),
            CaptureError::NotACapture(m) => write!(f, "not a pcap or pcapng capture: {m}"),
            CaptureError::Malformed { offset, message } => {
                write!(f, "damaged capture at file offset {offset}: {message}")
            }
            CaptureError::TruncatedFile { offset, have } => {
                write!(
                    f,
                    "capture file ends in the middle of a record at file offset {offset} ({have} octets of it present)"
                )
            }
        }
    }
}

impl std::error::Error for CaptureError {}

impl From<io::Error> for CaptureError {
    fn from(e: io::Error) -> Self {
        CaptureError::Io(e)
    }
}

/// A pcapng interface: link type and timestamp units.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: LinkType,
    snaplen: u32,
    /// Ticks per second as a power: `10^v` (`base2` false) or `2^v`.
    tsresol: u8,
    tsoffset: i64,
}

impl Interface {
    fn timestamp(&self, ticks: u64) -> Timestamp {
        let per_sec: u128 = if self.tsresol & 0x80 != 0 {
            1u128 << (self.tsresol & 0x7F).min(127)
        } else {
            10u128
                .checked_pow(u32::from(self.tsresol))
                .unwrap_or(u128::MAX)
        };
        let ticks = u128::from(ticks);
        let secs = (ticks / per_sec) as i64;
        let nanos = ((ticks % per_sec) * 1_000_000_000 / per_sec) as u32;
        Timestamp {
            secs: secs.saturating_add(self.tsoffset),
            nanos,
        }
    }
}

/// What parsing at the current position found.
enum Step {
    /// A packet: ranges into the buffer.
    Packet {
        ts: Timestamp,
        linktype: LinkType,
        interface: u32,
        orig_len: u32,
        data: (usize, usize),
        comment: Option<(usize, usize)>,
        len: usize,
    },
    /// A block that carries no packet (consumed).
    Skip(usize),
    /// At least this many octets are needed from the current position.
    Need(usize),
}

/// Reads packets from a pcap or pcapng stream.
pub struct CaptureReader<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    format: Format,
    /// pcapng: section byte order and interfaces.
    big_endian: bool,
    interfaces: Vec<Interface>,
    follow: Option<Duration>,
    pcap: Option<PcapParser>,
    /// Set by the caller to stop a `follow` wait (e.g. on Ctrl-C); checked between polls.
    stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Blocks that could not be interpreted and were skipped, by reason.
    pub skipped: Vec<(String, u64)>,
}

impl<R: Read> CaptureReader<R> {
    /// Opens a capture: reads and checks its header.
    pub fn new(src: R) -> Result<Self, CaptureError> {
        Self::with_follow(src, None)
    }

    /// Opens a capture that may still be growing: at its end, waits `poll` and reads again
    /// (like `tail -f`), forever.
    pub fn with_follow(src: R, follow: Option<Duration>) -> Result<Self, CaptureError> {
        let mut r = CaptureReader {
            src,
            buf: Vec::new(),
            pos: 0,
            end: 0,
            base: 0,
            format: Format::PcapNg,
            big_endian: false,
            interfaces: Vec::new(),
            follow,
            pcap: None,
            stop: None,
            skipped: Vec::new(),
        };
        if !r.fill(4)? {
            return Err(CaptureError::NotACapture(if r.end == 0 {
                "empty input".into()
            } else {
                "shorter than a header".into()
            }));
        }
        let m = u32::from_be_bytes([r.buf[0], r.buf[1], r.buf[2], r.buf[3]]);
        match m {
            magic::US_BE | magic::NS_BE | magic::US_LE | magic::NS_LE => {
                if !r.fill(24)? {
                    return Err(CaptureError::NotACapture(
                        "pcap header shorter than 24 octets".into(),
                    ));
                }
                let (_, parser) = PcapParser::new(&r.buf[..24])
                    .map_err(|e| CaptureError::NotACapture(e.to_string()))?;
                let h = parser.header();
                r.pcap = Some(parser);
                r.format = Format::Pcap {
                    nanos: h.ts_resolution == pcap_file::TsResolution::NanoSecond,
                    big_endian: h.endianness == pcap_file::Endianness::Big,
                    // Upper bits carry FCS information (pcap-linktype §"LinkType"): keep the type.
                    linktype: LinkType((u32::from(h.datalink) & 0xFFFF) as u16),
                    snaplen: h.snaplen,
                };
                r.pos = 24;
            }
            magic::PCAPNG => r.format = Format::PcapNg,
            magic::KUZNETZOV_BE | magic::KUZNETZOV_LE => {
                return Err(CaptureError::NotACapture(
                    "modified (Kuznetzov) pcap is not supported".into(),
                ))
            }
            _ if (m >> 16) as u16 == magic::GZIP => {
                return Err(CaptureError::NotACapture(
                    "gzip-compressed: decompress it first (zcat FILE | mvtp read -r -)".into(),
                ))
            }
            _ => {
                return Err(CaptureError::NotACapture(format!(
                    "unknown magic number 0x{m:08x}"
                )))
            }
        }
        Ok(r)
    }

    /// Lets another thread end a `follow` wait.
    pub fn set_stop_flag(&mut self, flag: std::sync::Arc<std::sync::atomic::AtomicBool>) {
        self.stop = Some(flag);
    }

    /// The capture's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The link type of the first interface (the file's for pcap), if known yet.
    pub fn first_linktype(&self) -> Option<LinkType> {
        match self.format {
            Format::Pcap { linktype, .. } => Some(linktype),
            Format::PcapNg => self.interfaces.first().map(|i| i.linktype),
        }
    }

    /// Stream offset of the next record.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Makes at least `need` octets available from `pos`; false at the end of the input.
    fn fill(&mut self, need: usize) -> Result<bool, CaptureError> {
        while self.end - self.pos < need {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.base += self.pos as u64;
                self.pos = 0;
            }
            let want = need.max(READ_CHUNK);
            if self.buf.len() < want {
                self.buf.resize(want, 0);
            }
            let n = match self.src.read(&mut self.buf[self.end..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                match self.follow {
                    Some(poll) => {
                        if self
                            .stop
                            .as_ref()
                            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
                        {
                            return Ok(false);
                        }
                        std::thread::sleep(poll);
                    }
                    None => return Ok(false),
                }
            }
            self.end += n;
        }
        Ok(true)
    }

    /// The next packet, `None` at the end of the input.
    #[allow(clippy::should_implement_trait)]
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, CaptureError> {
        loop {
            let step = match self.format {
                Format::Pcap {
                    nanos,
                    big_endian,
                    linktype,
                    ..
                } => self.parse_pcap(nanos, big_endian, linktype)?,
                Format::PcapNg => self.parse_pcapng()?,
            };
            match step {
                Step::Need(n) => {
                    if n > MAX_RECORD + 64 {
                        return Err(CaptureError::Malformed {
                            offset: self.offset(),
                            message: format!(
                                "record of {n} octets is larger than the {MAX_RECORD}-octet limit"
                            ),
                        });
                    }
                    if !self.fill(n)? {
                        let have = self.end - self.pos;
                        if have == 0 {
                            return Ok(None);
                        }
                        return Err(CaptureError::TruncatedFile {
                            offset: self.offset(),
                            have,
                        });
                    }
                }
                Step::Skip(len) => self.pos += len,
                Step::Packet {
                    ts,
                    linktype,
                    interface,
                    orig_len,
                    data,
                    comment,
                    len,
                } => {
                    let at = self.pos;
                    self.pos += len;
                    let buf = &self.buf[at..at + len];
                    let comment = comment.and_then(|(a, b)| std::str::from_utf8(&buf[a..b]).ok());
                    return Ok(Some(Packet {
                        ts,
                        linktype,
                        interface,
                        orig_len,
                        data: &buf[data.0..data.1],
                        comment,
                    }));
                }
            }
        }
    }

    fn parse_pcap(
        &mut self,
        nanos: bool,
        big: bool,
        linktype: LinkType,
    ) -> Result<Step, CaptureError> {
        let avail = &self.buf[self.pos..self.end];
        if avail.len() < 16 {
            return Ok(Step::Need(16));
        }
        let incl = if big {
            u32::from_be_bytes([avail[8], avail[9], avail[10], avail[11]])
        } else {
            u32::from_le_bytes([avail[8], avail[9], avail[10], avail[11]])
        } as usize;
        if incl > MAX_RECORD {
            return Err(CaptureError::Malformed {
                offset: self.offset(),
                message: format!("packet record claims {incl} captured octets"),
            });
        }
        let Some(parser) = &self.pcap else {
            return Err(CaptureError::Malformed {
                offset: 0,
                message: "pcap reader without its header".into(),
            });
        };
        let raw = match parser.next_raw_packet(avail) {
            Ok((_, raw)) => raw,
            Err(PcapError::IncompleteBuffer) => return Ok(Step::Need(16 + incl)),
            Err(e) => {
                return Err(CaptureError::Malformed {
                    offset: self.offset(),
                    message: e.to_string(),
                })
            }
        };
        let (secs, frac) = (raw.ts_sec, raw.ts_frac);
        let nanos_v = if nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        // An out-of-range fraction is kept as its carry into the seconds (libpcap does not check).
        let ts = Timestamp {
            secs: i64::from(secs) + i64::from(nanos_v / 1_000_000_000),
            nanos: nanos_v % 1_000_000_000,
        };
        let orig_len = raw.orig_len.max(raw.incl_len);
        Ok(Step::Packet {
            ts,
            linktype,
            interface: 0,
            orig_len,
            data: (16, 16 + incl),
            comment: None,
            len: 16 + incl,
        })
    }

    fn u32_at(&self, b: &[u8], at: usize) -> u32 {
        let x = b
            .get(at..at + 4)
            .map_or([0; 4], |s| [s[0], s[1], s[2], s[3]]);
        if self.big_endian {
            u32::from_be_bytes(x)
        } else {
            u32::from_le_bytes(x)
        }
    }

    fn u16_at(&self, b: &[u8], at: usize) -> u16 {
        let x = b.get(at..at + 2).map_or([0; 2], |s| [s[0], s[1]]);
        if self.big_endian {
            u16::from_be_bytes(x)
        } else {
            u16::from_le_bytes(x)
        }
    }

    fn parse_pcapng(&mut self) -> Result<Step, CaptureError> {
        let avail = &self.buf[self.pos..self.end];
        if avail.len() < 12 {
            return Ok(Step::Need(12));
        }
        let ty = self.u32_at(avail, 0);
        if ty == block::SHB {
            // The section's byte order comes from its byte-order magic.
            match u32::from_be_bytes([avail[8], avail[9], avail[10], avail[11]]) {
                0x1A2B_3C4D => self.big_endian = true,
                0x4D3C_2B1A => self.big_endian = false,
                m => {
                    return Err(CaptureError::Malformed {
                        offset: self.offset(),
                        message: format!("section header byte-order magic 0x{m:08x}"),
                    })
                }
            }
            self.interfaces.clear();
        }
        let total = self.u32_at(avail, 4) as usize;
        if total < 12 || total & 3 != 0 {
            return Err(CaptureError::Malformed {
                offset: self.offset(),
                message: format!("block length {total}"),
            });
        }
        if total > MAX_RECORD {
            return Err(CaptureError::Malformed {
                offset: self.offset(),
                message: format!("block of {total} octets"),
            });
        }
        if avail.len() < total {
            return Ok(Step::Need(total));
        }
        let trailer = self.u32_at(avail, total - 4) as usize;
        if trailer != total {
            return Err(CaptureError::Malformed {
                offset: self.offset(),
                message: format!("block length {total} but trailing length {trailer}"),
            });
        }
        let body = &avail[8..total - 4];
        match ty {
            block::IDB => {
                if body.len() < 8 {
                    return Ok(
                        self.skip("interface description block shorter than 20 octets", total)
                    );
                }
                let mut iface = Interface {
                    linktype: LinkType(self.u16_at(body, 0)),
                    snaplen: self.u32_at(body, 4),
                    tsresol: 6,
                    tsoffset: 0,
                };
                for (code, v) in Options::new(&body[8..], self.big_endian) {
                    match code {
                        opt::IF_TSRESOL if !v.is_empty() => iface.tsresol = v[0],
                        opt::IF_TSOFFSET if v.len() >= 8 => {
                            let a = [v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]];
                            iface.tsoffset = if self.big_endian {
                                i64::from_be_bytes(a)
                            } else {
                                i64::from_le_bytes(a)
                            };
                        }
                        _ => {}
                    }
                }
                self.interfaces.push(iface);
                Ok(Step::Skip(total))
            }
            block::EPB | block::PB => {
                if body.len() < 20 {
                    return Ok(self.skip("packet block shorter than 32 octets", total));
                }
                let interface = if ty == block::EPB {
                    self.u32_at(body, 0)
                } else {
                    u32::from(self.u16_at(body, 0))
                };
                let ticks =
                    (u64::from(self.u32_at(body, 4)) << 32) | u64::from(self.u32_at(body, 8));
                let caplen = self.u32_at(body, 12) as usize;
                let orig_len = self.u32_at(body, 16);
                let data_end = 20usize.saturating_add(caplen);
                if data_end > body.len() {
                    return Ok(self.skip("packet block: captured length beyond the block", total));
                }
                let Some(iface) = self.interfaces.get(interface as usize).copied() else {
                    return Ok(self.skip(
                        "packet block names an interface with no description block",
                        total,
                    ));
                };
                let opts_at = data_end + (4 - caplen % 4) % 4;
                let comment = body.get(opts_at..).and_then(|o| {
                    Options::new(o, self.big_endian)
                        .find(|(c, _)| *c == opt::COMMENT)
                        .map(|(_, v)| {
                            let start = v.as_ptr() as usize - avail.as_ptr() as usize;
                            (start, start + v.len())
                        })
                });
                Ok(Step::Packet {
                    ts: iface.timestamp(ticks),
                    linktype: iface.linktype,
                    interface,
                    orig_len: orig_len.max(caplen as u32),
                    data: (28, 28 + caplen),
                    comment,
                    len: total,
                })
            }
            block::SPB => {
                if body.len() < 4 {
                    return Ok(self.skip("simple packet block shorter than 16 octets", total));
                }
                let Some(iface) = self.interfaces.first().copied() else {
                    return Ok(self.skip(
                        "simple packet block before any interface description block",
                        total,
                    ));
                };
                let orig_len = self.u32_at(body, 0);
                let mut caplen = (orig_len as usize).min(body.len() - 4);
                if iface.snaplen != 0 {
                    caplen = caplen.min(iface.snaplen as usize);
                }
                Ok(Step::Packet {
                    ts: Timestamp::default(),
                    linktype: iface.linktype,
                    interface: 0,
                    orig_len: orig_len.max(caplen as u32),
                    data: (12, 12 + caplen),
                    comment: None,
                    len: total,
                })
            }
            _ => Ok(Step::Skip(total)),
        }
    }

    fn skip(&mut self, why: &str, total: usize) -> Step {
        match self.skipped.iter_mut().find(|(w, _)| w == why) {
            Some((_, n)) => *n += 1,
            None => self.skipped.push((why.to_string(), 1)),
        }
        Step::Skip(total)
    }
}

/// Walks pcapng options: (code, value) until `opt_endofopt` or the end of the octets.
struct Options<'a> {
    rest: &'a [u8],
    big: bool,
}

impl<'a> Options<'a> {
    fn new(rest: &'a [u8], big: bool) -> Self {
        Self { rest, big }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = (u16, &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let r = self.rest;
        if r.len() < 4 {
            return None;
        }
        let rd = |a: u8, b: u8| {
            if self.big {
                u16::from_be_bytes([a, b])
            } else {
                u16::from_le_bytes([a, b])
            }
        };
        let code = rd(r[0], r[1]);
        let len = usize::from(rd(r[2], r[3]));
        if code == opt::END {
            return None;
        }
        let v = r.get(4..4 + len)?;
        let padded = 4 + len + (4 - len % 4) % 4;
        self.rest = r.get(padded..).unwrap_or(&[]);
        Some((code, v))
    }
}

/// Writes packets to a pcap or pcapng file.
pub enum CaptureWriter<W: Write> {
    /// Classic pcap: one link type per file.
    Pcap {
        /// Destination, until the first packet fixes the link type.
        out: Option<W>,
        /// pcap-file's writer, from the first packet on.
        w: Option<PcapWriter<W>>,
        /// The file's link type (from the first packet).
        linktype: Option<LinkType>,
        /// Nanosecond timestamps.
        nanos: bool,
        /// Link type of the header of a file that receives no packet.
        default: LinkType,
    },
    /// pcapng: one interface per link type.
    PcapNg {
        /// pcap-file's writer.
        w: Box<pcap_file::pcapng::PcapNgWriter<W>>,
        /// Link type of each interface written, by index.
        interfaces: Vec<LinkType>,
    },
}

/// Why a packet could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// The output failed.
    Io(io::Error),
    /// A pcap file holds one link type; this packet has another.
    LinkType {
        /// The file's.
        file: LinkType,
        /// The packet's.
        packet: LinkType,
    },
    /// Something pcap-file refused.
    Format(String),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io(e) => write!(f, "write error: {e}"),
            WriteError::LinkType { file, packet } => {
                write!(
                    f,
                    "link type {} differs from the pcap file's {} (write .pcapng for mixed link types)",
                    packet.0, file.0
                )
            }
            WriteError::Format(m) => write!(f, "{m}"),
        }
    }
}

impl<W: Write> CaptureWriter<W> {
    /// A pcap writer. The header is written with the first packet, which fixes the link
    /// type; a file that receives no packet gets a header with `default` link type.
    pub fn pcap(out: W, nanos: bool, default: LinkType) -> Self {
        CaptureWriter::Pcap {
            out: Some(out),
            w: None,
            linktype: None,
            nanos,
            default,
        }
    }

    fn pcap_header(linktype: LinkType, nanos: bool) -> PcapHeader {
        PcapHeader {
            snaplen: 262_144,
            datalink: pcap_file::DataLink::from(u32::from(linktype.0)),
            ts_resolution: if nanos {
                pcap_file::TsResolution::NanoSecond
            } else {
                pcap_file::TsResolution::MicroSecond
            },
            endianness: if cfg!(target_endian = "big") {
                pcap_file::Endianness::Big
            } else {
                pcap_file::Endianness::Little
            },
            ..PcapHeader::default()
        }
    }

    /// A pcapng writer (writes the section header now).
    pub fn pcapng(out: W) -> Result<Self, WriteError> {
        let w = pcap_file::pcapng::PcapNgWriter::new(out).map_err(pcap_err)?;
        Ok(CaptureWriter::PcapNg {
            w: Box::new(w),
            interfaces: Vec::new(),
        })
    }

    /// Writes one packet.
    pub fn write(&mut self, p: &Packet<'_>) -> Result<(), WriteError> {
        match self {
            CaptureWriter::Pcap {
                out,
                w,
                linktype,
                nanos,
                ..
            } => {
                match linktype {
                    Some(l) if *l != p.linktype => {
                        return Err(WriteError::LinkType {
                            file: *l,
                            packet: p.linktype,
                        })
                    }
                    Some(_) => {}
                    None => {
                        let Some(out) = out.take() else {
                            return Err(WriteError::Format("pcap writer already failed".into()));
                        };
                        let h = Self::pcap_header(p.linktype, *nanos);
                        *w = Some(PcapWriter::with_header(out, h).map_err(pcap_err)?);
                        *linktype = Some(p.linktype);
                    }
                }
                let secs = u32::try_from(p.ts.secs.max(0)).unwrap_or(u32::MAX);
                let frac = if *nanos {
                    p.ts.nanos
                } else {
                    p.ts.nanos / 1000
                };
                let len = u32::try_from(p.data.len())
                    .map_err(|_| WriteError::Format("packet too long".into()))?;
                let raw = RawPcapPacket {
                    ts_sec: secs,
                    ts_frac: frac,
                    incl_len: len,
                    orig_len: p.orig_len.max(len),
                    data: p.data.into(),
                };
                let Some(w) = w else {
                    return Err(WriteError::Format("pcap writer already failed".into()));
                };
                w.write_raw_packet(&raw).map_err(pcap_err)?;
            }
            CaptureWriter::PcapNg { w, interfaces } => {
                use pcap_file::pcapng::blocks::enhanced_packet::{
                    EnhancedPacketBlock, EnhancedPacketOption,
                };
                use pcap_file::pcapng::blocks::interface_description::{
                    InterfaceDescriptionBlock, InterfaceDescriptionOption,
                };
                let id = match interfaces.iter().position(|l| *l == p.linktype) {
                    Some(i) => i,
                    None => {
                        let idb = InterfaceDescriptionBlock {
                            linktype: pcap_file::DataLink::from(u32::from(p.linktype.0)),
                            snaplen: 0,
                            // pcap-file writes EPB timestamps in nanoseconds.
                            options: vec![InterfaceDescriptionOption::IfTsResol(9)],
                        };
                        w.write_pcapng_block(idb).map_err(pcap_err)?;
                        interfaces.push(p.linktype);
                        interfaces.len() - 1
                    }
                };
                let len = u32::try_from(p.data.len())
                    .map_err(|_| WriteError::Format("packet too long".into()))?;
                let options = match p.comment {
                    Some(c) => vec![EnhancedPacketOption::Comment(c.into())],
                    None => Vec::new(),
                };
                let epb = EnhancedPacketBlock {
                    interface_id: id as u32,
                    timestamp: p.ts.as_duration(),
                    original_len: p.orig_len.max(len),
                    data: p.data.into(),
                    options,
                };
                w.write_pcapng_block(epb).map_err(pcap_err)?;
            }
        }
        Ok(())
    }

    /// Flushes and returns the destination.
    pub fn finish(self) -> Result<W, WriteError> {
        let out = match self {
            CaptureWriter::Pcap { w: Some(w), .. } => Some(w.into_writer()),
            CaptureWriter::Pcap {
                out: Some(out),
                default,
                nanos,
                ..
            } => Some(
                PcapWriter::with_header(out, Self::pcap_header(default, nanos))
                    .map_err(pcap_err)?
                    .into_writer(),
            ),
            CaptureWriter::Pcap { out: None, .. } => None,
            CaptureWriter::PcapNg { w, .. } => Some(w.into_inner()),
        };
        let Some(mut out) = out else {
            return Err(WriteError::Format("pcap writer already failed".into()));
        };
        out.flush().map_err(WriteError::Io)?;
        Ok(out)
    }
}

fn pcap_err(e: PcapError) -> WriteError {
    match e {
        PcapError::IoError(e) => WriteError::Io(e),
        e => WriteError::Format(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pcap_bytes(
        big: bool,
        nanos: bool,
        linktype: u32,
        recs: &[(u32, u32, &[u8], u32)],
    ) -> Vec<u8> {
        let mut v = Vec::new();
        let w32 = |v: &mut Vec<u8>, x: u32| {
            v.extend_from_slice(&if big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            })
        };
        w32(&mut v, if nanos { 0xA1B2_3C4D } else { 0xA1B2_C3D4 });
        v.extend_from_slice(&if big { [0, 2, 0, 4] } else { [2, 0, 4, 0] });
        w32(&mut v, 0);
        w32(&mut v, 0);
        w32(&mut v, 65535);
        w32(&mut v, linktype);
        for (s, f, d, orig) in recs {
            w32(&mut v, *s);
            w32(&mut v, *f);
            w32(&mut v, d.len() as u32);
            w32(&mut v, *orig);
            v.extend_from_slice(d);
        }
        v
    }

    #[test]
    fn pcap_both_byte_orders_and_resolutions() {
        for big in [false, true] {
            for nanos in [false, true] {
                let b = pcap_bytes(big, nanos, 1, &[(10, 5, &[1, 2, 3], 3), (11, 7, &[4], 100)]);
                let mut r = CaptureReader::new(&b[..]).unwrap();
                let p = r.next_packet().unwrap().unwrap();
                assert_eq!(p.data, &[1, 2, 3]);
                assert_eq!(
                    p.ts,
                    Timestamp {
                        secs: 10,
                        nanos: if nanos { 5 } else { 5000 }
                    }
                );
                assert_eq!(p.linktype, LinkType::ETHERNET);
                let p = r.next_packet().unwrap().unwrap();
                // orig_len 100 > snaplen is accepted (a snaplen-cut packet), unlike pcap-file's checked reader.
                assert_eq!((p.data.len(), p.orig_len), (1, 100));
                assert!(r.next_packet().unwrap().is_none());
            }
        }
    }

    #[test]
    fn pcap_truncated_record_is_reported_not_silent() {
        let mut b = pcap_bytes(false, false, 1, &[(1, 0, &[1, 2, 3, 4], 4)]);
        b.truncate(b.len() - 2);
        let mut r = CaptureReader::new(&b[..]).unwrap();
        assert!(matches!(
            r.next_packet(),
            Err(CaptureError::TruncatedFile {
                offset: 24,
                have: 18
            })
        ));
    }

    #[test]
    fn pcap_huge_record_length_does_not_allocate() {
        let mut b = pcap_bytes(false, false, 1, &[]);
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut r = CaptureReader::new(&b[..]).unwrap();
        assert!(matches!(
            r.next_packet(),
            Err(CaptureError::Malformed { .. })
        ));
    }

    #[test]
    fn not_a_capture() {
        assert!(matches!(
            CaptureReader::new(&b"hello world, not pcap"[..]),
            Err(CaptureError::NotACapture(_))
        ));
        assert!(matches!(
            CaptureReader::new(&b""[..]),
            Err(CaptureError::NotACapture(_))
        ));
    }

    #[test]
    fn pcapng_written_then_read_keeps_link_types_times_and_comments() {
        let mut w = CaptureWriter::pcapng(Vec::new()).unwrap();
        let ts = Timestamp {
            secs: 1_700_000_000,
            nanos: 123_456_789,
        };
        w.write(&Packet {
            ts,
            linktype: LinkType::ETHERNET,
            interface: 0,
            orig_len: 60,
            data: &[0xAA; 14],
            comment: Some("hello"),
        })
        .unwrap();
        w.write(&Packet {
            ts,
            linktype: LinkType::IPV4,
            interface: 0,
            orig_len: 3,
            data: &[0x45, 0, 0],
            comment: None,
        })
        .unwrap();
        let b = w.finish().unwrap();
        let mut r = CaptureReader::new(&b[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(
            (p.linktype, p.ts, p.orig_len, p.comment),
            (LinkType::ETHERNET, ts, 60, Some("hello"))
        );
        let p = r.next_packet().unwrap().unwrap();
        assert_eq!(
            (p.linktype, p.interface, p.data.len()),
            (LinkType::IPV4, 1, 3)
        );
        assert!(r.next_packet().unwrap().is_none());
    }

    #[test]
    fn pcapng_default_resolution_is_microseconds() {
        let i = Interface {
            linktype: LinkType::ETHERNET,
            snaplen: 0,
            tsresol: 6,
            tsoffset: 0,
        };
        assert_eq!(
            i.timestamp(1_500_000),
            Timestamp {
                secs: 1,
                nanos: 500_000_000
            }
        );
        let i = Interface {
            tsresol: 0x80 | 10,
            ..i
        };
        assert_eq!(
            i.timestamp(1536),
            Timestamp {
                secs: 1,
                nanos: 500_000_000
            }
        );
    }

    #[test]
    fn rfc3339() {
        let mut s = String::new();
        Timestamp {
            secs: 951_782_400,
            nanos: 5,
        }
        .write_rfc3339(&mut s);
        assert_eq!(s, "2000-02-29T00:00:00.000000005Z");
    }

    #[test]
    fn pcap_round_trip_through_writer() {
        let b = pcap_bytes(false, false, 228, &[(1, 2, &[0x45, 1], 2)]);
        let mut r = CaptureReader::new(&b[..]).unwrap();
        let p = r.next_packet().unwrap().unwrap();
        let mut w = CaptureWriter::pcap(Vec::new(), false, LinkType::ETHERNET);
        w.write(&p).unwrap();
        let out = w.finish().unwrap();
        assert_eq!(out[24..], b[24..]);
    }
}
