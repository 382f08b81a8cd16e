//! `mvtp read`: capture in → dissect → filter → print / write, with counts of everything
//! that could not be done reported on stderr at the end.
//!
//! The per-packet path reuses one `Dissection`, one output `String` and one `BufWriter`:
//! nothing is allocated per packet in steady state.

use crate::cli::{ColorChoice, OutFormat, ReadArgs};
use crate::{live, EXIT_ACTION, EXIT_USAGE};
use codec::numbers::LinkType;
use codec::{Kind, Severity};
use dissector::capture::{CaptureReader, CaptureWriter, Format, Packet, Timestamp};
use dissector::filter::Filter;
use dissector::model::{BufferId, Dissection};
use dissector::output::{
    self, fields::FieldsPrinter, hex::HexPrinter, json::JsonPrinter, summary::SummaryPrinter,
    tree::TreePrinter,
};
use dissector::output::{Colors, Health, PacketView, Printer, TimeFormat};
use dissector::{Config, Dissector, Keys, Proto};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, ErrorKind, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// tshark's `-E` field-output options: given to our `-E` (tcpdump's ESP secrets) they are
/// a mistake worth naming.
const TSHARK_E_OPTIONS: &[&str] = &[
    "separator",
    "header",
    "quote",
    "occurrence",
    "aggregator",
    "bom",
    "escape",
];
/// Most nested `file PATH` items followed in `-E`.
const MAX_SECRETS_NESTING: usize = 4;

macro_rules! usage {
    ($($t:tt)*) => {{
        eprintln!("mvtp: {}", format!($($t)*));
        return ExitCode::from(EXIT_USAGE);
    }};
}

enum Input {
    Capture(Box<CaptureReader<Box<dyn Read + Send>>>),
    Live(live::Live),
}

impl Input {
    fn next(&mut self) -> Result<Option<Packet<'_>>, String> {
        match self {
            Input::Capture(r) => r.next_packet().map_err(|e| e.to_string()),
            Input::Live(l) => l.next(),
        }
    }
}

enum Sink {
    File(CaptureWriter<BufWriter<File>>),
    Stdout(CaptureWriter<BufWriter<io::Stdout>>),
}

impl Sink {
    fn write(&mut self, p: &Packet<'_>) -> Result<(), String> {
        match self {
            Sink::File(w) => w.write(p).map_err(|e| e.to_string()),
            Sink::Stdout(w) => w.write(p).map_err(|e| e.to_string()),
        }
    }
    fn finish(self) -> Result<(), String> {
        match self {
            Sink::File(w) => w.finish().map(drop).map_err(|e| e.to_string()),
            Sink::Stdout(w) => w.finish().map(drop).map_err(|e| e.to_string()),
        }
    }
}

/// A small counter keyed by text, in first-seen order.
#[derive(Default)]
struct Tally(Vec<(String, u64)>);

impl Tally {
    fn add(&mut self, key: &str) {
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some((_, n)) => *n += 1,
            None => self.0.push((key.to_string(), 1)),
        }
    }
    fn total(&self) -> u64 {
        self.0.iter().map(|(_, n)| n).sum()
    }
    fn json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0
                .iter()
                .map(|(k, n)| (k.clone(), (*n).into()))
                .collect(),
        )
    }
    fn text(&self) -> String {
        self.0
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Default)]
struct Counts {
    packets: u64,
    displayed: u64,
    bytes: u64,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    malformed: u64,
    errors_by_kind: Tally,
    warnings_by_clause: Tally,
    truncated_capture: u64,
    not_dissected: Tally,
    protocols: Tally,
    esp_packets: u64,
    esp_decrypted: u64,
    /// (SPI, ESP layers seen, decrypted).
    esp_spis: Vec<(u32, u64, u64)>,
    written: u64,
    not_written: Tally,
}

pub fn run(a: ReadArgs) -> ExitCode {
    // ---- options -------------------------------------------------------------------
    if a.list_interfaces {
        return match live::list() {
            Ok(list) => {
                let mut text = String::new();
                for (i, (name, desc)) in list.iter().enumerate() {
                    let _ = match desc {
                        Some(d) => writeln!(text, "{}. {name} ({d})", i + 1),
                        None => writeln!(text, "{}. {name}", i + 1),
                    };
                }
                // A closed pipe (`| head`) ends quietly.
                let _ = io::stdout().lock().write_all(text.as_bytes());
                ExitCode::SUCCESS
            }
            Err(e) => usage!("{e}"),
        };
    }
    let Some(time) = TimeFormat::parse(&a.time) else {
        usage!("-t {:?}: expected a, ad, r, d, dd, e or n (absolute, absolute with date, relative, delta, delta displayed, epoch, none)", a.time)
    };
    let mut format = a.format;
    if !a.fields.is_empty() {
        if !matches!(format, OutFormat::Text | OutFormat::Fields) {
            usage!(
                "-e selects -T fields; it cannot be combined with -T {:?}",
                format
            );
        }
        format = OutFormat::Fields;
    }
    if format == OutFormat::Fields && a.fields.is_empty() {
        usage!("-T fields needs at least one -e FIELD (see mvtp fields)");
    }
    for f in &a.fields {
        if !output::fields::known(f) {
            match output::fields::suggest(f) {
                Some(s) => usage!(
                    "-e {f:?}: unknown field; did you mean {s:?}? (mvtp fields lists them all)"
                ),
                None => usage!("-e {f:?}: unknown field (mvtp fields lists them all)"),
            }
        }
    }
    if (a.separator.is_some() || a.header) && format != OutFormat::Fields {
        usage!("--separator and --header apply to -T fields");
    }
    let separator = match a.separator.as_deref() {
        None | Some("\\t") | Some("/t") | Some("tab") => "\t".to_string(),
        Some("/s") | Some("space") => " ".to_string(),
        Some(s) => s.to_string(),
    };

    // Keys: --keys file, then -E secrets.
    let mut keys = Keys::default();
    if let Some(path) = &a.keys {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => usage!("--keys {path}: {e}"),
        };
        keys = match Keys::from_json(&text) {
            Ok(k) => k,
            Err(e) => usage!("--keys {path}: {e}"),
        };
    }
    for s in &a.esp_secrets {
        let head = s.trim_start().split(['=', ' ', ':']).next().unwrap_or("");
        if s.contains('=') && TSHARK_E_OPTIONS.contains(&head) {
            usage!(
                "-E {s:?}: here -E is tcpdump's ESP secrets option (SPI@DST ALGO:SECRET); for field output use --separator SEP and --header"
            );
        }
        if let Err(e) = load_secrets(s, &mut keys, 0) {
            usage!("-E: {e}");
        }
    }

    let mut config = Config::default();
    for rule in &a.decode_as {
        if let Err(e) = decode_as(rule, &mut config) {
            usage!("-d {rule:?}: {e}");
        }
    }

    let filter = match &a.display_filter {
        Some(expr) => match Filter::compile(expr) {
            Ok(f) => Some(f),
            Err(e) => usage!("-Y: {e}"),
        },
        None => None,
    };

    // ---- input ---------------------------------------------------------------------
    let source = a.read.clone().or_else(|| a.file.clone());
    let mut input = match (&source, &a.interface) {
        (Some(path), _) => {
            let reader: Box<dyn Read + Send> = if path == "-" {
                Box::new(io::stdin())
            } else {
                match File::open(path) {
                    Ok(f) => Box::new(f),
                    Err(e) => usage!("{path}: {e}"),
                }
            };
            // A pipe's end is final: following applies to files only.
            let follow = (a.follow && path != "-").then_some(Duration::from_millis(200));
            match CaptureReader::with_follow(reader, follow) {
                Ok(r) => Input::Capture(Box::new(r)),
                Err(e) => usage!("{path}: {e}"),
            }
        }
        (None, Some(iface)) => match live::open(iface, a.capture_filter.as_deref()) {
            Ok(l) => Input::Live(l),
            Err(e) => usage!("{e}"),
        },
        (None, None) => usage!(
            "no input: give a capture file (-r FILE, or - for stdin) or an interface (-i IFACE)"
        ),
    };
    if a.capture_filter.is_some() && a.interface.is_none() {
        usage!("-f (capture filter) applies to live capture (-i); use -Y for a display filter");
    }

    // ---- output --------------------------------------------------------------------
    let capture_nanos = match &input {
        Input::Capture(r) => !matches!(r.format(), Format::Pcap { nanos: false, .. }),
        Input::Live(_) => false,
    };
    let default_link = match &input {
        Input::Capture(r) => r.first_linktype().unwrap_or(LinkType::ETHERNET),
        Input::Live(_) => LinkType::ETHERNET,
    };
    let mut quiet = a.quiet;
    let sink = match a.write.as_deref() {
        None => None,
        Some("-") => {
            if a.verbose || a.hex || format != OutFormat::Text {
                usage!("-w - writes the capture to standard output: it cannot be combined with -V, -x or -T");
            }
            quiet = true;
            let out = BufWriter::with_capacity(256 << 10, io::stdout());
            Some(Sink::Stdout(CaptureWriter::pcap(
                out,
                capture_nanos,
                default_link,
            )))
        }
        Some(path) => {
            let file = match File::create(path) {
                Ok(f) => BufWriter::with_capacity(256 << 10, f),
                Err(e) => {
                    // A requested action that cannot be applied (exit 3), not a usage error.
                    eprintln!("mvtp: -w {path}: {e}");
                    return ExitCode::from(EXIT_ACTION);
                }
            };
            let w = if path.ends_with(".pcapng") || path.ends_with(".ntar") {
                match CaptureWriter::pcapng(file) {
                    Ok(w) => w,
                    Err(e) => {
                        eprintln!("mvtp: -w {path}: {e}");
                        return ExitCode::from(EXIT_ACTION);
                    }
                }
            } else {
                CaptureWriter::pcap(file, capture_nanos, default_link)
            };
            Some(Sink::File(w))
        }
    };
    let stdout_used_by_capture = matches!(sink, Some(Sink::Stdout(_)));
    let color = match a.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let colors = Colors {
        on: color && format == OutFormat::Text,
    };
    let printer: Box<dyn Printer> = match format {
        OutFormat::Json => Box::new(JsonPrinter::new(false)),
        OutFormat::Jsonl => Box::new(JsonPrinter::new(true)),
        OutFormat::Fields => Box::new(FieldsPrinter::new(a.fields.clone(), separator, a.header)),
        OutFormat::Text => {
            let mut chain: Vec<Box<dyn Printer>> = Vec::new();
            if a.verbose {
                chain.push(Box::new(TreePrinter { colors }));
            } else {
                chain.push(Box::new(SummaryPrinter { time, colors }));
            }
            if a.hex {
                chain.push(Box::new(HexPrinter));
            }
            if chain.len() == 1 {
                chain.remove(0)
            } else {
                Box::new(output::Chain(chain))
            }
        }
    };
    // Following a file or a live interface: show each packet as it comes.
    let line_buffered = a.line_buffered || a.follow || a.interface.is_some();
    let stdout = io::stdout();
    let out = BufWriter::with_capacity(256 << 10, stdout.lock());

    // Ctrl-C / SIGTERM end a `--follow` run cleanly: counts printed, outputs flushed, exit 0
    // (a second Ctrl-C exits at once). Other runs keep the default (the process ends).
    let stop = Arc::new(AtomicBool::new(false));
    let following = a.follow && source.as_deref().is_some_and(|s| s != "-");
    if following {
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let _ = signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone());
            let _ = signal_hook::flag::register(sig, stop.clone());
        }
        if let Input::Capture(r) = &mut input {
            r.set_stop_flag(stop.clone());
        }
    }
    // A progress bar for a long read of a regular file, on a terminal's stderr, when the
    // packets themselves do not go to that terminal.
    let progress = match &source {
        Some(path)
            if path != "-"
                && !a.follow
                && io::stderr().is_terminal()
                && (quiet || !io::stdout().is_terminal()) =>
        {
            std::fs::metadata(path)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| Progress::new(m.len()))
        }
        _ => None,
    };

    // ---- the loop ------------------------------------------------------------------
    let dissector = Dissector::new(config, keys);
    let esp_sas: Vec<Option<u32>> = dissector.keys.esp.sas.iter().map(|s| s.spi).collect();
    let mut run = Run {
        c: Counts::default(),
        filter,
        sink,
        printer,
        out,
        text: String::with_capacity(16 << 10),
        quiet,
        line_buffered,
        want_protocols: a.summary,
        count: a.count,
        prev_ts: Timestamp::default(),
        prev_displayed: Timestamp::default(),
        stdout_closed: false,
        status: 0,
        stop: stop.clone(),
        progress,
    };
    if !quiet {
        run.printer.begin(&mut run.text);
        if emit(&mut run.out, &mut run.text, line_buffered).is_err() {
            run.stdout_closed = true;
        }
    }
    // A regular file read to its end is dissected on a second thread while this one
    // counts, filters and prints (a quarter less wall time when a second core is free, a
    // third more CPU time; MVTP_THREADS=1 keeps one thread). A pipe, a growing file and a
    // live interface always go packet by packet, so each shows as soon as it arrives.
    let pipelined = matches!(input, Input::Capture(_))
        && source.as_deref().is_some_and(|s| s != "-")
        && !a.follow
        && !run.line_buffered
        && dissector::pipeline::worth_it();
    let (input_error, skipped) = match input {
        Input::Capture(r) if pipelined => pipeline(r, dissector, &mut run),
        mut input => {
            let e = sequential(&mut input, dissector, &mut run);
            let skipped = match &input {
                Input::Capture(r) => r.skipped.clone(),
                Input::Live(_) => Vec::new(),
            };
            (e, skipped)
        }
    };
    if let Some(p) = run.progress.as_mut() {
        p.clear();
    }
    let Run {
        c,
        sink,
        mut printer,
        mut out,
        mut text,
        stdout_closed,
        mut status,
        ..
    } = run;
    let mut sink = sink;
    if !quiet && !stdout_closed {
        printer.end(&mut text);
    }
    if let Some(e) = &input_error {
        status = status.max(EXIT_USAGE);
        // After the printed packets, so the message lands after them on a terminal.
        let _ = emit(&mut out, &mut text, true);
        eprintln!("mvtp: {}: {e}", source.as_deref().unwrap_or("capture"));
    }
    let mut c = c;
    if let Some(s) = sink.take() {
        if let Err(e) = s.finish() {
            c.not_written.add(&e);
        }
    }

    // ---- the end -------------------------------------------------------------------
    let mut problems = Vec::new();
    for (why, n) in &skipped {
        problems.push(format!("{n} capture block(s) skipped: {why}"));
    }
    if c.not_dissected.total() > 0 {
        problems.push(format!("packets not dissected: {}", c.not_dissected.text()));
    }
    if c.malformed > 0 {
        problems.push(format!(
            "{} malformed packet(s) ({})",
            c.malformed,
            c.errors_by_kind.text()
        ));
    }
    if c.truncated_capture > 0 {
        problems.push(format!(
            "{} packet(s) cut short by the capture's snapshot length",
            c.truncated_capture
        ));
    }
    let undecrypted = c.esp_packets - c.esp_decrypted;
    if undecrypted > 0 {
        let why = if esp_sas.is_empty() {
            " (no ESP keys given: --keys or -E)"
        } else {
            " (no matching SA or the ICV/padding did not verify)"
        };
        problems.push(format!(
            "{undecrypted} of {} ESP packet(s) not decrypted{why}",
            c.esp_packets
        ));
    }
    // A key that decrypts nothing is a requested action that could not be applied.
    for spi in &esp_sas {
        let decrypted = match spi {
            Some(s) => c
                .esp_spis
                .iter()
                .find(|(x, _, _)| x == s)
                .map_or(0, |e| e.2),
            None => c.esp_decrypted,
        };
        if decrypted == 0 {
            let seen = match spi {
                Some(s) => c
                    .esp_spis
                    .iter()
                    .find(|(x, _, _)| x == s)
                    .map_or(0, |e| e.1),
                None => c.esp_packets,
            };
            let what = match spi {
                Some(s) => format!("ESP key for SPI 0x{s:08x}"),
                None => "wildcard ESP key".to_string(),
            };
            if seen > 0 {
                // Packets it was meant for, and none decrypted: the key is wrong.
                problems.push(format!(
                    "{what} decrypted none of the {seen} ESP packet(s) it applies to"
                ));
                status = status.max(EXIT_ACTION);
            } else {
                problems.push(format!(
                    "{what} matched no packet (no ESP packet with that SPI)"
                ));
            }
        }
    }
    if c.not_written.total() > 0 {
        problems.push(format!("packets not written: {}", c.not_written.text()));
        status = status.max(EXIT_ACTION);
    }
    if a.summary {
        let s = summary_json(&c, &input_error);
        let line = format!("{s}\n");
        if stdout_used_by_capture {
            eprint!("{line}");
        } else if !stdout_closed {
            text.push_str(&line);
        }
    }
    if !stdout_closed {
        if let Err(e) = emit(&mut out, &mut text, true) {
            if e.kind() != ErrorKind::BrokenPipe {
                eprintln!("mvtp: write error on standard output: {e}");
                status = status.max(EXIT_ACTION);
            }
        }
    }
    drop(out);
    for p in &problems {
        eprintln!("mvtp: {p}");
    }
    ExitCode::from(status)
}

/// The per-packet side of a run: counts, filter, `-w`, printing.
struct Run<'a> {
    c: Counts,
    filter: Option<Filter>,
    sink: Option<Sink>,
    printer: Box<dyn Printer>,
    out: BufWriter<io::StdoutLock<'a>>,
    text: String,
    quiet: bool,
    line_buffered: bool,
    want_protocols: bool,
    count: Option<u64>,
    prev_ts: Timestamp,
    prev_displayed: Timestamp,
    stdout_closed: bool,
    status: u8,
    /// Set by SIGINT/SIGTERM while following.
    stop: Arc<AtomicBool>,
    progress: Option<Progress>,
}

impl Run<'_> {
    /// Handles one dissected packet; false when the run should end (`-c` reached, standard
    /// output closed, a stop signal).
    fn packet(&mut self, p: &Packet<'_>, d: &Dissection) -> bool {
        let c = &mut self.c;
        c.packets += 1;
        c.bytes += p.data.len() as u64;
        let first = *c.first.get_or_insert(p.ts);
        if c.packets == 1 {
            self.prev_ts = p.ts;
            self.prev_displayed = p.ts;
        }
        c.last = Some(p.ts);
        account(c, d, p, self.want_protocols);

        let pass = self.filter.as_ref().is_none_or(|f| f.matches(d, p.data));
        if pass {
            c.displayed += 1;
            if let Some(s) = self.sink.as_mut() {
                match s.write(p) {
                    Ok(()) => c.written += 1,
                    Err(e) => c.not_written.add(&e),
                }
            }
            if !self.quiet {
                let view = PacketView {
                    number: c.packets,
                    ts: p.ts,
                    first_ts: first,
                    prev_ts: self.prev_ts,
                    prev_displayed_ts: self.prev_displayed,
                    linktype: p.linktype,
                    orig_len: p.orig_len,
                    frame: p.data,
                    comment: p.comment,
                    d,
                };
                self.printer.packet(&view, &mut self.text);
                // Written in large blocks unless each packet must show at once.
                if self.line_buffered || self.text.len() >= TEXT_CHUNK {
                    if let Err(e) = emit(&mut self.out, &mut self.text, self.line_buffered) {
                        self.stdout_closed = true;
                        if e.kind() != ErrorKind::BrokenPipe {
                            eprintln!("mvtp: write error on standard output: {e}");
                            self.status = self.status.max(EXIT_ACTION);
                        }
                    }
                }
            }
            self.prev_displayed = p.ts;
        }
        self.prev_ts = p.ts;
        !(self.stdout_closed
            || self.count.is_some_and(|n| self.c.displayed >= n)
            || self.stop.load(Ordering::Relaxed))
    }
}

/// Reads, dissects and handles packets one at a time on this thread; returns the input
/// error, if any.
fn sequential(input: &mut Input, mut dissector: Dissector, run: &mut Run<'_>) -> Option<String> {
    let mut d = Dissection::default();
    while !run.stdout_closed {
        let p = match input.next() {
            Ok(Some(p)) => p,
            Ok(None) => return None,
            Err(e) => return Some(e),
        };
        dissector.set_time(p.ts.as_f64());
        dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
        if !run.packet(&p, &d) {
            break;
        }
        if let Some(pr) = run.progress.as_mut() {
            if run.c.packets.is_multiple_of(1024) {
                if let Input::Capture(r) = input {
                    pr.update(r.offset(), run.c.packets);
                }
            }
        }
    }
    None
}

/// Printed text is handed to standard output in blocks of this size (at least the
/// `BufWriter`'s, so they go straight through).
const TEXT_CHUNK: usize = 256 << 10;

impl dissector::pipeline::Sink for Run<'_> {
    fn packet(&mut self, p: &Packet<'_>, d: &Dissection) -> bool {
        Run::packet(self, p, d)
    }

    fn batch_done(&mut self, offset: u64) {
        let packets = self.c.packets;
        if let Some(pr) = self.progress.as_mut() {
            pr.update(offset, packets);
        }
    }
}

/// Dissects on a second thread while this one counts, filters and prints
/// ([`dissector::pipeline`]). Returns the input error and the skipped blocks.
fn pipeline(
    reader: Box<CaptureReader<Box<dyn Read + Send>>>,
    dissector: Dissector,
    run: &mut Run<'_>,
) -> (Option<String>, Vec<(String, u64)>) {
    let end = dissector::pipeline::run(reader, dissector, run);
    (end.input_error, end.skipped)
}

/// A one-line progress bar on stderr, redrawn at most ten times a second and only once a
/// read has taken more than half a second.
struct Progress {
    total: u64,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    fn new(total: u64) -> Self {
        Self {
            total,
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    fn update(&mut self, offset: u64, packets: u64) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.started);
        if elapsed < Duration::from_millis(500)
            || self
                .last
                .is_some_and(|l| now.duration_since(l) < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        self.drawn = true;
        let frac = if self.total == 0 {
            1.0
        } else {
            (offset as f64 / self.total as f64).min(1.0)
        };
        let width = 30;
        let done = (frac * width as f64) as usize;
        let rate = packets as f64 / elapsed.as_secs_f64().max(1e-3);
        let line = format!(
            "\r[{}{}] {:3.0}% {} / {} MB, {} packets, {:.0} k packets/s ",
            "#".repeat(done),
            "-".repeat(width - done),
            frac * 100.0,
            offset / 1_000_000,
            self.total / 1_000_000,
            packets,
            rate / 1000.0
        );
        let mut e = io::stderr().lock();
        let _ = e.write_all(line.as_bytes());
        let _ = e.flush();
    }

    /// Erases the bar (before the end-of-run messages).
    fn clear(&mut self) {
        if self.drawn {
            let mut e = io::stderr().lock();
            let _ = e.write_all(b"\r\x1b[K");
            let _ = e.flush();
            self.drawn = false;
        }
    }
}

/// Writes the buffered text; flushes when asked.
fn emit(out: &mut impl Write, text: &mut String, flush: bool) -> io::Result<()> {
    let r = out.write_all(text.as_bytes());
    text.clear();
    r?;
    if flush {
        out.flush()?;
    }
    Ok(())
}

/// Counts one dissected packet.
fn account(c: &mut Counts, d: &Dissection, p: &Packet<'_>, protocols: bool) {
    if Dissector::link_proto(p.linktype).is_none() {
        c.not_dissected
            .add(&format!("link type {} has no decoder", p.linktype.0));
    }
    match output::health(d) {
        Health::Ok => {}
        Health::TruncatedCapture => c.truncated_capture += 1,
        Health::Malformed => {
            c.malformed += 1;
            if let Some(e) = d
                .diagnostics
                .iter()
                .find(|x| x.diag.severity == Severity::Error)
            {
                c.errors_by_kind
                    .add(e.diag.kind.map_or("error", Kind::as_str));
            }
        }
    }
    if protocols {
        for w in d
            .diagnostics
            .iter()
            .filter(|x| x.diag.severity == Severity::Warning)
        {
            c.warnings_by_clause
                .add(w.diag.clause.unwrap_or(w.diag.field));
        }
        for (i, l) in d.layers.iter().enumerate() {
            if !d.layers[..i].iter().any(|m| m.proto == l.proto) {
                c.protocols.add(l.proto);
            }
        }
    }
    // ESP: decrypted when a layer follows it in another buffer.
    for (i, l) in d
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| l.proto == "esp")
    {
        let decrypted = d.layers[i + 1..]
            .iter()
            .any(|m| m.buffer != l.buffer && m.buffer != BufferId::Frame);
        c.esp_packets += 1;
        c.esp_decrypted += u64::from(decrypted);
        if let Some(spi) = output::layer_uint(d, i, "esp.spi").and_then(|v| u32::try_from(v).ok()) {
            match c.esp_spis.iter_mut().find(|e| e.0 == spi) {
                Some(e) => {
                    e.1 += 1;
                    e.2 += u64::from(decrypted);
                }
                None => {
                    if c.esp_spis.len() < 4096 {
                        c.esp_spis.push((spi, 1, u64::from(decrypted)));
                    }
                }
            }
        }
    }
}

fn summary_json(c: &Counts, input_error: &Option<String>) -> String {
    let ts = |t: Option<Timestamp>| {
        t.map_or(serde_json::Value::Null, |t| {
            let mut s = String::new();
            t.write_rfc3339(&mut s);
            s.into()
        })
    };
    let duration = match (c.first, c.last) {
        (Some(a), Some(b)) => {
            let mut s = String::new();
            output::write_signed_nanos(b.nanos_since(a), &mut s);
            s.parse::<f64>()
                .map_or(serde_json::Value::Null, serde_json::Value::from)
        }
        _ => serde_json::Value::Null,
    };
    let mut not_dissected = c.not_dissected.json();
    if let serde_json::Value::Object(m) = &mut not_dissected {
        if c.esp_packets > c.esp_decrypted {
            m.insert(
                "esp not decrypted".into(),
                (c.esp_packets - c.esp_decrypted).into(),
            );
        }
    }
    let v = serde_json::json!({
        "schema": "mvtp-summary/1",
        "packets": c.packets,
        "displayed": c.displayed,
        "bytes": c.bytes,
        "first": ts(c.first),
        "last": ts(c.last),
        "duration": duration,
        "protocols": c.protocols.json(),
        "malformed": c.malformed,
        "errors_by_kind": c.errors_by_kind.json(),
        "warnings_by_clause": c.warnings_by_clause.json(),
        "truncated_capture": c.truncated_capture,
        "not_dissected": not_dissected,
        "esp": { "packets": c.esp_packets, "decrypted": c.esp_decrypted },
        "written": c.written,
        "not_written": c.not_written.json(),
        "input_error": input_error,
    });
    v.to_string()
}

/// Loads tcpdump `-E` secrets (inline items or `file PATH`, nested at most a few levels).
pub(crate) fn load_secrets(text: &str, keys: &mut Keys, depth: usize) -> Result<(), String> {
    use codec::esp::load::{tcpdump, TcpdumpItem};
    for item in tcpdump(text)? {
        match item {
            TcpdumpItem::Sa(sa) => keys.esp.insert(sa),
            TcpdumpItem::File(path) => {
                if depth >= MAX_SECRETS_NESTING {
                    return Err(format!(
                        "file {path}: secrets files nested more than {MAX_SECRETS_NESTING} deep"
                    ));
                }
                let t = std::fs::read_to_string(&path).map_err(|e| format!("file {path}: {e}"))?;
                load_secrets(&t, keys, depth + 1).map_err(|e| format!("file {path}: {e}"))?;
            }
        }
    }
    Ok(())
}

/// The decoder a `-d` rule names.
fn proto_by_name(name: &str, for_udp: bool) -> Option<Proto> {
    Some(match name.to_ascii_lowercase().as_str() {
        "eth" | "ethernet" => Proto::Ethernet,
        "llc" => Proto::Llc,
        "vlan" => Proto::Vlan,
        "ip" | "ipv4" => Proto::Ipv4,
        "ipv6" => Proto::Ipv6,
        "udp" => Proto::Udp,
        "tcp" => Proto::Tcp,
        "icmp" => Proto::Icmp,
        "gre" => Proto::Gre,
        "esp" if for_udp => Proto::UdpEsp,
        "esp" => Proto::Esp,
        "udpesp" | "nat-t" => Proto::UdpEsp,
        "ah" => Proto::Ah,
        "ike" | "isakmp" => Proto::Ike,
        "l2tp" => Proto::L2tp,
        "ppp" => Proto::Ppp,
        "mvtp" => Proto::Mvtp,
        "mip" => Proto::Mip,
        "arp" => Proto::Arp,
        "data" => Proto::Data,
        _ => return None,
    })
}

fn parse_number(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Applies a "decode as" rule: `udp.port==9999,l2tp`, `tcp.port==N,PROTO`,
/// `gre.proto==0x9999,mvtp` (also `eth.type==` / `ethertype==`: GRE and Ethernet share the
/// EtherType table).
pub fn decode_as(rule: &str, config: &mut Config) -> Result<(), String> {
    let (sel, proto) = rule
        .rsplit_once(',')
        .ok_or("expected SELECTOR==VALUE,PROTOCOL, e.g. udp.port==9999,l2tp")?;
    let (field, value) = sel
        .split_once("==")
        .ok_or("expected SELECTOR==VALUE, e.g. udp.port==9999")?;
    let (field, proto) = (field.trim(), proto.trim());
    let value = parse_number(value).ok_or_else(|| format!("{:?} is not a number", value.trim()))?;
    let value = u16::try_from(value).map_err(|_| format!("{value} does not fit in 16 bits"))?;
    let is_udp = field == "udp.port";
    let p = proto_by_name(proto, is_udp).ok_or_else(|| {
        format!("unknown protocol {proto:?} (eth, llc, vlan, ip, ipv6, udp, tcp, icmp, gre, esp, ah, ike, l2tp, ppp, mvtp, mip, arp, data)")
    })?;
    match field {
        "udp.port" => {
            config.udp_ports.insert(value, p);
        }
        "tcp.port" => {
            config.tcp_ports.insert(value, p);
        }
        "gre.proto" | "eth.type" | "ethertype" | "llc.type" => {
            config.ether_types.insert(value, p);
        }
        f => {
            return Err(format!(
                "unknown selector {f:?} (udp.port, tcp.port, gre.proto, eth.type)"
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_as_rules() {
        let mut c = Config::default();
        decode_as("udp.port==9999,l2tp", &mut c).unwrap();
        assert_eq!(c.udp_ports.get(&9999), Some(&Proto::L2tp));
        decode_as("gre.proto == 0x9999 , mvtp", &mut c).unwrap();
        assert_eq!(c.ether_types.get(&0x9999), Some(&Proto::Mvtp));
        assert!(decode_as("udp.port==70000,l2tp", &mut c).is_err());
        assert!(decode_as("udp.port==1,nope", &mut c).is_err());
        assert!(decode_as("ip.addr==1,l2tp", &mut c).is_err());
    }
}
