//! The reader side: capture → dissect → summary row, checker, stats; and the packet index
//! that lets any packet be re-read from the file (or from the spill file of a stream).

use codec::numbers::LinkType;
use codec::Severity;
use dissector::capture::{CaptureReader, Timestamp};
use dissector::check::{CheckConfig, Checker, Finding, MobileNode};
use dissector::filter::Filter;
use dissector::model::Dissection;
use dissector::output::{self, Colors, PacketView};
use dissector::stats::Stats;
use dissector::Dissector;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Where a packet's octets are kept.
#[derive(Debug, Clone)]
pub enum Store {
    /// The capture file itself (a pcap or pcapng record ending at `Entry::end`).
    File {
        /// Path of the capture.
        path: PathBuf,
        /// Classic pcap (else pcapng).
        pcap: bool,
    },
    /// A spill file of raw frames (stdin): `Entry::start..start+caplen`.
    Spill(PathBuf),
}

/// One packet of the index: enough to re-read and re-dissect it (about 48 octets).
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// File offset where the search for the record starts (end of the previous record).
    pub start: u64,
    /// File offset just past the record.
    pub end: u64,
    /// Captured length.
    pub caplen: u32,
    /// Length on the wire.
    pub orig_len: u32,
    /// Capture time.
    pub ts: Timestamp,
    /// Link type.
    pub linktype: LinkType,
    /// Passes the display filter of generation `gen`.
    pub matched: bool,
    /// Filter generation `matched` was computed with.
    pub gen: u32,
    /// Worst decoder diagnostic (0 none, 1 info, 2 warning, 3 error).
    pub diag: u8,
}

/// The display filter shared by the reader and the UI.
#[derive(Default)]
pub struct FilterState {
    /// The filter (None: everything matches).
    pub filter: Option<Filter>,
    /// Bumped at every change.
    pub gen: u32,
}

/// State shared between the reader thread and the UI.
pub struct Shared {
    /// Every packet read so far.
    pub index: RwLock<Vec<Entry>>,
    /// The display filter.
    pub filter: Mutex<FilterState>,
    /// Where octets are re-read from.
    pub store: Store,
    /// Ends the reader (and a `--follow` wait).
    pub stop: Arc<AtomicBool>,
    /// Pauses reading (`f`).
    pub paused: AtomicBool,
}

impl Shared {
    /// Shared state for this store and initial filter.
    pub fn new(store: Store, filter: Option<Filter>) -> Arc<Self> {
        Arc::new(Shared {
            index: RwLock::new(Vec::new()),
            filter: Mutex::new(FilterState { filter, gen: 0 }),
            store,
            stop: Arc::new(AtomicBool::new(false)),
            paused: AtomicBool::new(false),
        })
    }

    /// The entry of packet `number` (1-based).
    pub fn entry(&self, number: u64) -> Option<Entry> {
        let idx = self.index.read().ok()?;
        idx.get(usize::try_from(number.checked_sub(1)?).ok()?)
            .copied()
    }

    /// Number of packets read.
    pub fn len(&self) -> usize {
        self.index.read().map(|i| i.len()).unwrap_or(0)
    }

    /// True when no packet was read yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Re-reads the octets of `e` from the store.
    pub fn load(&self, e: &Entry) -> Result<Vec<u8>, String> {
        load(&self.store, e)
    }
}

impl Drop for Shared {
    /// The spill file of a stream is temporary.
    fn drop(&mut self) {
        if let Store::Spill(p) = &self.store {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Reads the captured octets of `e` from `store`.
pub fn load(store: &Store, e: &Entry) -> Result<Vec<u8>, String> {
    let caplen = e.caplen as usize;
    match store {
        Store::Spill(path) => {
            let mut f = File::open(path).map_err(|x| format!("spill file: {x}"))?;
            f.seek(SeekFrom::Start(e.start))
                .map_err(|x| x.to_string())?;
            let mut v = vec![0; caplen];
            f.read_exact(&mut v)
                .map_err(|x| format!("spill file: {x}"))?;
            Ok(v)
        }
        Store::File { path, pcap } => {
            let span = e.end.checked_sub(e.start).ok_or("bad index entry")?;
            if span > (dissector::capture::MAX_RECORD as u64) * 2 {
                return Err("record span too large".into());
            }
            let mut f = File::open(path).map_err(|x| format!("{}: {x}", path.display()))?;
            f.seek(SeekFrom::Start(e.start))
                .map_err(|x| x.to_string())?;
            let mut v = vec![0; span as usize];
            f.read_exact(&mut v)
                .map_err(|x| format!("{}: {x}", path.display()))?;
            let data = if *pcap {
                pcap_data(&v, caplen)
            } else {
                pcapng_data(&v, caplen)
            };
            data.map(<[u8]>::to_vec)
                .ok_or_else(|| format!("packet record not found at file offset {}", e.start))
        }
    }
}

/// pcap: the record is the last 16 + caplen octets of the span, its data the last caplen.
fn pcap_data(span: &[u8], caplen: usize) -> Option<&[u8]> {
    span.get(span.len().checked_sub(caplen)?..)
}

/// pcapng: the packet block is the last block of the span; its total length is repeated
/// in its last four octets (pcapng §3.1), in the section's byte order.
fn pcapng_data(span: &[u8], caplen: usize) -> Option<&[u8]> {
    let n = span.len();
    let tail: [u8; 4] = span.get(n.checked_sub(4)?..)?.try_into().ok()?;
    for len in [u32::from_le_bytes(tail), u32::from_be_bytes(tail)] {
        let len = len as usize;
        if len < 16 || len > n || len & 3 != 0 {
            continue;
        }
        let block = &span[n - len..];
        let head: [u8; 4] = block.get(4..8)?.try_into().ok()?;
        if u32::from_le_bytes(head) as usize != len && u32::from_be_bytes(head) as usize != len {
            continue;
        }
        let ty = [block[0], block[1], block[2], block[3]];
        let le = u32::from_le_bytes(ty);
        let be = u32::from_be_bytes(ty);
        // EPB (6) and obsolete PB (2): data at 28; SPB (3): data at 12.
        let at: usize = if le == 6 || be == 6 || le == 2 || be == 2 {
            28
        } else if le == 3 || be == 3 {
            12
        } else {
            continue;
        };
        return block.get(at..at.checked_add(caplen)?);
    }
    None
}

/// A summary row of the packet list.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Frame number, 1-based.
    pub number: u64,
    /// Seconds since the first packet.
    pub time: String,
    /// Source address.
    pub src: String,
    /// Destination address.
    pub dst: String,
    /// Innermost protocol.
    pub proto: String,
    /// Length on the wire.
    pub len: u32,
    /// The one-line summary (`mvtp read`'s), without number and time.
    pub info: String,
}

/// Builds the summary row of a dissected packet.
pub fn make_row(
    number: u64,
    ts: Timestamp,
    first: Timestamp,
    orig_len: u32,
    d: &Dissection,
    frame: &[u8],
) -> Row {
    let mut time = String::new();
    output::write_signed_nanos(ts.nanos_since(first), &mut time);
    let mut info = String::new();
    output::summary::describe(d, frame, Colors::default(), &mut info);
    let view = PacketView {
        number,
        ts,
        first_ts: first,
        prev_ts: ts,
        prev_displayed_ts: ts,
        linktype: LinkType(0),
        orig_len,
        frame,
        comment: None,
        d,
    };
    output::summary::tags(&view, Colors::default(), &mut info);
    // Addresses of the innermost IP layer; else of the Ethernet layer.
    let (mut src, mut dst) = (String::new(), String::new());
    for (li, l) in d.layers.iter().enumerate().rev() {
        let (s, t) = match l.proto {
            "ip" => ("ip.src", "ip.dst"),
            "ipv6" => ("ipv6.src", "ipv6.dst"),
            _ => continue,
        };
        output::put_field(d, frame, li, s, &mut src);
        output::put_field(d, frame, li, t, &mut dst);
        break;
    }
    if src.is_empty() {
        if let Some(li) = d.layers.iter().position(|l| l.proto == "eth") {
            output::put_field(d, frame, li, "eth.src", &mut src);
            output::put_field(d, frame, li, "eth.dst", &mut dst);
        }
    }
    let proto = d
        .layers
        .iter()
        .rev()
        .find(|l| !matches!(l.proto, "data" | "overhead"))
        .map_or("?", |l| l.proto)
        .to_string();
    Row {
        number,
        time,
        src,
        dst,
        proto,
        len: orig_len,
        info,
    }
}

/// Severity as a small number (0 none, 1 info, 2 warning, 3 error).
pub fn sev_rank(s: Severity) -> u8 {
    match s {
        Severity::Info => 1,
        Severity::Warning => 2,
        Severity::Error => 3,
    }
}

/// What the reader tells the UI.
#[derive(Debug)]
pub enum Msg {
    /// A new packet's summary row (the index entry is already in `Shared::index`).
    Row(Row),
    /// A new conformance finding.
    Finding(Finding),
    /// Statistics and bindings so far.
    Stats(Box<Stats>),
    /// RFC 5265 inside/outside state per mobile-node interface so far.
    Nodes(Vec<MobileNode>),
    /// The input ended (or failed, with the reason).
    Done(Option<String>),
}

/// Reads every packet of `reader`, appending to `shared.index` and sending rows, findings
/// and statistics to `tx`. With `spill`, the frames are also appended to that file (stdin).
pub fn reader_loop<R: Read>(
    mut reader: CaptureReader<R>,
    mut dissector: Dissector,
    shared: &Shared,
    tx: &Sender<Msg>,
    mut spill: Option<File>,
) {
    reader.set_stop_flag(shared.stop.clone());
    let mut d = Dissection::default();
    let mut checker = Checker::new(CheckConfig::default());
    let mut stats = Stats::default();
    let mut findings_sent = 0usize;
    let mut first: Option<Timestamp> = None;
    let mut last_stats = Instant::now();
    let mut spill_off = 0u64;
    let mut n = 0u64;
    let mut prev_end = reader.offset();
    let result = loop {
        if shared.stop.load(Ordering::Relaxed) {
            break None;
        }
        while shared.paused.load(Ordering::Relaxed) && !shared.stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
        }
        let p = match reader.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break None,
            Err(e) => break Some(format!("{e} (after {n} packets)")),
        };
        n += 1;
        let ts = p.ts;
        let first_ts = *first.get_or_insert(ts);
        dissector.set_time(ts.as_f64());
        dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
        let row = make_row(n, ts, first_ts, p.orig_len, &d, p.data);
        checker.packet(n, ts.as_f64(), &d, p.data);
        stats.add(n, ts.as_f64(), &d, p.data);
        let diag = d
            .diagnostics
            .iter()
            .map(|x| sev_rank(x.diag.severity))
            .max()
            .unwrap_or(0);
        let caplen = u32::try_from(p.data.len()).unwrap_or(u32::MAX);
        let spilled = match spill.as_mut() {
            Some(f) => {
                if f.write_all(p.data).is_err() {
                    break Some("cannot write the spill file".into());
                }
                let s = spill_off;
                spill_off += u64::from(caplen);
                Some((s, spill_off))
            }
            None => None,
        };
        let (linktype, orig_len) = (p.linktype, p.orig_len);
        let Ok(fs) = shared.filter.lock() else {
            break Some("filter lock poisoned".into());
        };
        let matched = fs.filter.as_ref().is_none_or(|f| f.matches(&d, p.data));
        let real_end = reader.offset();
        let (start, end) = spilled.unwrap_or((prev_end, real_end));
        prev_end = real_end;
        let entry = Entry {
            start,
            end,
            caplen,
            orig_len,
            ts,
            linktype,
            matched,
            gen: fs.gen,
            diag,
        };
        if let Ok(mut idx) = shared.index.write() {
            idx.push(entry);
        }
        drop(fs);
        if tx.send(Msg::Row(row)).is_err() {
            break None;
        }
        for f in &checker.findings()[findings_sent..] {
            let _ = tx.send(Msg::Finding(f.clone()));
        }
        findings_sent = checker.findings().len();
        if last_stats.elapsed() > Duration::from_millis(500) {
            last_stats = Instant::now();
            let mut s = stats.clone();
            s.finish();
            let _ = tx.send(Msg::Stats(Box::new(s)));
            let _ = tx.send(Msg::Nodes(checker.mobile_nodes()));
        }
    };
    if let Some(f) = spill.as_mut() {
        let _ = f.flush();
    }
    let mut s = stats;
    s.finish();
    let _ = tx.send(Msg::Stats(Box::new(s)));
    let _ = tx.send(Msg::Nodes(checker.mobile_nodes()));
    let _ = tx.send(Msg::Done(result));
}

/// Re-evaluates `filter` on packets `1..=upto` (a changed display filter): one flag per
/// packet. Files are streamed from the start (so reassembly sees what it saw the first
/// time); a spill file is read entry by entry. Stops early when `cancel` is set.
pub fn rescan(
    shared: &Shared,
    mut dissector: Dissector,
    filter: Option<&Filter>,
    upto: usize,
    cancel: &AtomicBool,
) -> Result<Vec<bool>, String> {
    let Some(filter) = filter else {
        return Ok(vec![true; upto]);
    };
    let mut out = Vec::with_capacity(upto);
    let mut d = Dissection::default();
    match &shared.store {
        Store::File { path, .. } => {
            let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let mut r =
                CaptureReader::new(std::io::BufReader::new(f)).map_err(|e| e.to_string())?;
            while out.len() < upto {
                if cancel.load(Ordering::Relaxed) {
                    return Err("cancelled".into());
                }
                let Some(p) = r.next_packet().map_err(|e| e.to_string())? else {
                    break;
                };
                dissector.set_time(p.ts.as_f64());
                dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
                out.push(filter.matches(&d, p.data));
            }
        }
        Store::Spill(_) => {
            for i in 0..upto {
                if cancel.load(Ordering::Relaxed) {
                    return Err("cancelled".into());
                }
                let Some(e) = shared.entry(i as u64 + 1) else {
                    break;
                };
                let data = shared.load(&e)?;
                dissector.set_time(e.ts.as_f64());
                dissector.dissect(e.linktype, &data, e.orig_len as usize, &mut d);
                out.push(filter.matches(&d, &data));
            }
        }
    }
    Ok(out)
}
