//! `mvtp replay`: frame replay of a capture — rewritten into a new capture (`-w OUT`),
//! sent on an interface (`-i IFACE`) with tcpreplay-grade pacing, or printed (`--dry-run`).
//! See docs/replay.md.

use crate::{EXIT_ACTION, EXIT_USAGE};
use clap::Args;
use codec::numbers::LinkType;
use dissector::capture::{CaptureReader, CaptureWriter, Format, Packet, Timestamp};
use dissector::keys::Keys;
use replay::pace::{self, Report, Timing};
use replay::{Config, Output, Rewriter, Rules, Stats};
use std::io::{BufWriter, Read, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Notes about dropped frames printed one by one before summarising.
const MAX_NOTES: u64 = 10;

/// `mvtp replay` arguments.
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Only rewrite into a file (the same as giving -w without -i).
    #[arg(long)]
    pub rewrite_only: bool,
    /// Output capture (pcap keeps the input's file header; pcapng otherwise).
    #[arg(short = 'w', value_name = "OUT")]
    pub write: Option<String>,
    /// Send the frames on this interface (AF_PACKET raw socket, Linux; needs CAP_NET_RAW).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,
    /// Print what would be sent (time, size, summary) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Input capture (`-` for stdin).
    #[arg(value_name = "IN")]
    pub input: String,
    /// Address map OLD=NEW: an IPv4 or IPv6 prefix (`198.51.100.0/24=10.9.0.0/24`, host part
    /// kept) or one address.
    #[arg(long = "map", value_name = "OLD=NEW")]
    pub map: Vec<String>,
    /// MAC map OLD=NEW (`aa:bb:cc:dd:ee:ff=02:00:00:00:00:01`).
    #[arg(long = "mac-map", value_name = "OLD=NEW")]
    pub mac_map: Vec<String>,
    /// UDP/TCP port map OLD=NEW (source and destination ports).
    #[arg(long = "port-map", value_name = "OLD=NEW")]
    pub port_map: Vec<String>,
    /// GRE key map OLD=NEW (decimal or 0x-hex).
    #[arg(long = "gre-key", value_name = "OLD=NEW")]
    pub gre_key: Vec<String>,
    /// ESP SPI map OLD=NEW: re-encrypted with the new SPI's SA (from --new-keys or --keys).
    #[arg(long = "spi", value_name = "OLD=NEW")]
    pub spi: Vec<String>,
    /// Recompute every checksum and authenticator, also those that were wrong in the input.
    #[arg(long)]
    pub fix_checksums: bool,
    /// Keys of the input (JSON as `mvtp read --keys`): ESP SAs to decrypt with, MVTP/MIP
    /// keys its authenticators verify with.
    #[arg(long, value_name = "FILE")]
    pub keys: Option<String>,
    /// ESP SAs of the input, tcpdump `-E` syntax (`SPI@DST ALGO:0xKEY[,…]` or `file PATH`).
    #[arg(short = 'E', value_name = "SECRETS")]
    pub esp_secrets: Vec<String>,
    /// Keys to sign and encrypt the output with (JSON; default: --keys).
    #[arg(long, value_name = "FILE")]
    pub new_keys: Option<String>,
    /// Re-sign MVTP and Mobile IPv4 authenticators with the output keys.
    #[arg(long)]
    pub resign: bool,
    /// Shift MVTP/MIP Identification timestamps so the first reads UNIX seconds (or now);
    /// re-signs the messages changed.
    #[arg(long, value_name = "UNIX|now", num_args = 0..=1, default_missing_value = "now")]
    pub refresh_ident: Option<String>,
    /// Convert 802.11 (radiotap) data frames, raw IP and Linux cooked frames to Ethernet II;
    /// frames without an equivalent (802.11 management, …) are dropped with the reason.
    #[arg(long)]
    pub to_ethernet: bool,
    /// Destination MAC for frames converted from raw IP/cooked (default 02:00:00:00:00:02).
    #[arg(long, value_name = "MAC")]
    pub enet_dst: Option<String>,
    /// Source MAC for frames converted from raw IP (default 02:00:00:00:00:01).
    #[arg(long, value_name = "MAC")]
    pub enet_src: Option<String>,
    /// Largest IP packet: larger frames are refused with their size (default with -i: the
    /// interface's MTU).
    #[arg(long, value_name = "OCTETS")]
    pub mtu: Option<usize>,
    /// Fragment IPv4 packets larger than the MTU (DF clear) instead of refusing them.
    #[arg(long)]
    pub fragment: bool,
    /// Speed factor for the capture's timing (2 = twice as fast).
    #[arg(long, value_name = "X")]
    pub multiplier: Option<f64>,
    /// Send at this many packets per second.
    #[arg(long, value_name = "N")]
    pub pps: Option<f64>,
    /// Send at this many megabits per second.
    #[arg(long, value_name = "N")]
    pub mbps: Option<f64>,
    /// Send as fast as possible.
    #[arg(long)]
    pub topspeed: bool,
    /// Replay the capture N times.
    #[arg(long = "loop", value_name = "N", default_value_t = 1)]
    pub loops: u32,
    /// Send (or write) at most N frames in all.
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// With --loop: renumber ESP sequence numbers, MVTP/MIP Identification and L2TP Ns/Nr
    /// in every pass after the first so they keep counting.
    #[arg(long)]
    pub renumber: bool,
}

/// One captured frame, owned.
struct Frame {
    ts: Timestamp,
    link: LinkType,
    interface: u32,
    orig_len: u32,
    data: Vec<u8>,
    comment: Option<String>,
}

fn rules(a: &ReplayArgs) -> Result<Rules, replay::MapError> {
    let mut r = Rules::default();
    for s in &a.map {
        r.add_map(s)?;
    }
    for s in &a.mac_map {
        r.add_mac(s)?;
    }
    for s in &a.port_map {
        r.add_port(s)?;
    }
    for s in &a.gre_key {
        r.add_gre_key(s)?;
    }
    for s in &a.spi {
        r.add_spi(s)?;
    }
    Ok(r)
}

fn load_keys(path: &str) -> Result<Keys, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Keys::from_json(&text).map_err(|e| format!("{path}: {e}"))
}

fn config(a: &ReplayArgs, mtu: Option<usize>) -> Result<Config, String> {
    let mut keys = a.keys.as_deref().map(load_keys).transpose()?;
    if !a.esp_secrets.is_empty() {
        let k = keys.get_or_insert_with(Keys::default);
        for s in &a.esp_secrets {
            k.add_tcpdump_secrets(s)?;
        }
    }
    let new_keys = a.new_keys.as_deref().map(load_keys).transpose()?;
    if a.resign && keys.is_none() && new_keys.is_none() {
        return Err("--resign needs --keys or --new-keys".into());
    }
    let refresh_ident = match a.refresh_ident.as_deref() {
        None => None,
        Some("now") => Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| e.to_string())?
                .as_secs(),
        ),
        Some(s) => Some(
            s.parse::<u64>()
                .map_err(|_| format!("--refresh-ident {s:?}: Unix seconds or `now`"))?,
        ),
    };
    let mac = |m: &Option<String>, d: [u8; 6]| -> Result<[u8; 6], String> {
        m.as_deref()
            .map_or(Ok(d), |s| replay::parse_mac(s).map_err(|e| e.to_string()))
    };
    let enet = Some((
        mac(&a.enet_dst, [2, 0, 0, 0, 0, 2])?,
        mac(&a.enet_src, [2, 0, 0, 0, 0, 1])?,
    ));
    Ok(Config {
        enet,
        fix_checksums: a.fix_checksums,
        resign: a.resign,
        refresh_ident,
        to_ethernet: a.to_ethernet,
        renumber: a.renumber,
        keys,
        new_keys,
        mtu: a.mtu.or(mtu),
        fragment: a.fragment,
    })
}

fn timing(a: &ReplayArgs) -> Result<Timing, String> {
    let given = [
        a.multiplier.is_some(),
        a.pps.is_some(),
        a.mbps.is_some(),
        a.topspeed,
    ];
    if given.iter().filter(|&&g| g).count() > 1 {
        return Err("give one of --multiplier, --pps, --mbps, --topspeed".into());
    }
    let positive = |v: f64, f: &str| {
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(format!("{f} must be a positive number"))
        }
    };
    Ok(if let Some(m) = a.multiplier {
        Timing::Original {
            multiplier: positive(m, "--multiplier")?,
        }
    } else if let Some(p) = a.pps {
        Timing::Pps(positive(p, "--pps")?)
    } else if let Some(m) = a.mbps {
        Timing::Mbps(positive(m, "--mbps")?)
    } else if a.topspeed {
        Timing::Topspeed
    } else {
        Timing::Original { multiplier: 1.0 }
    })
}

/// Reads the whole capture: its octets (for the pcap header) and the frames.
fn load(input: &str) -> Result<(Vec<u8>, Format, Vec<Frame>), String> {
    let mut bytes = Vec::new();
    let r = if input == "-" {
        std::io::stdin().lock().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(input).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    r.map_err(|e| format!("{input}: {e}"))?;
    let mut reader = CaptureReader::new(&bytes[..]).map_err(|e| format!("{input}: {e}"))?;
    let format = reader.format();
    let mut frames = Vec::new();
    while let Some(p) = reader.next_packet().map_err(|e| format!("{input}: {e}"))? {
        frames.push(Frame {
            ts: p.ts,
            link: p.linktype,
            interface: p.interface,
            orig_len: p.orig_len,
            data: p.data.to_vec(),
            comment: p.comment.map(str::to_string),
        });
    }
    drop(reader);
    Ok((bytes, format, frames))
}

/// Nanoseconds of each frame after the first.
fn offsets(frames: &[Frame]) -> Vec<u64> {
    let first = frames.first().map(|f| f.ts);
    frames
        .iter()
        .map(|f| first.map_or(0, |t| u64::try_from(f.ts.nanos_since(t)).unwrap_or(0)))
        .collect()
}

/// Runs `mvtp replay`.
pub fn run(a: &ReplayArgs) -> ExitCode {
    match run_frames(a) {
        Ok(code) => code,
        Err(m) => {
            eprintln!("mvtp replay: {m}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Where the frames go.
enum Sink<'a> {
    File(&'a str),
    Interface(&'a str),
    DryRun,
}

fn run_frames(a: &ReplayArgs) -> Result<ExitCode, String> {
    let sink = match (&a.write, &a.interface, a.dry_run) {
        (Some(_), Some(_), _) => return Err("give -w OUT or -i IFACE, not both".into()),
        (_, Some(i), false) => Sink::Interface(i),
        (Some(w), None, false) => Sink::File(w),
        (None, _, true) => Sink::DryRun,
        (Some(_), None, true) => {
            return Err("--dry-run sends nothing and writes nothing: drop -w".into())
        }
        (None, None, false) => {
            return Err("give -w OUT (rewrite into a capture), -i IFACE (send) or --dry-run".into())
        }
    };
    if a.rewrite_only && !matches!(sink, Sink::File(_)) {
        return Err("--rewrite-only writes a capture: give -w OUT (and no -i)".into());
    }
    if a.loops == 0 {
        return Err("--loop must be at least 1".into());
    }
    let rules = rules(a).map_err(|e| e.to_string())?;
    let timing = timing(a)?;
    let iface_mtu = match (&sink, &a.interface) {
        #[cfg(target_os = "linux")]
        (_, Some(i)) => Some(replay::send::interface_mtu(i)?),
        _ => None,
    };
    let cfg = config(a, iface_mtu)?;
    let (bytes, format, frames) = load(&a.input)?;
    let mut rw = Rewriter::new(rules, cfg);
    if a.renumber && a.loops > 1 {
        for f in &frames {
            rw.learn(f.link, &f.data);
        }
    }
    match sink {
        Sink::File(out) => write_file(a, &mut rw, &bytes, format, &frames, out),
        Sink::Interface(i) => send(a, &mut rw, &frames, timing, Some(i)),
        Sink::DryRun => send(a, &mut rw, &frames, timing, None),
    }
}

/// Counts an outcome and prints the first notes about dropped frames.
fn account(stats: &mut Stats, o: &Output, index: usize, notes: &mut u64) {
    stats.add(&o.outcome);
    if let replay::Outcome::Dropped(r) = &o.outcome {
        if *notes < MAX_NOTES {
            let detail = o.note.as_deref().unwrap_or(r);
            eprintln!("mvtp replay: frame {}: dropped: {detail}", index + 1);
        }
        *notes += 1;
    }
}

enum Writer {
    Pcap(replay::pcapout::PcapOut<BufWriter<std::fs::File>>),
    Other(CaptureWriter<BufWriter<std::fs::File>>),
}

fn write_file(
    a: &ReplayArgs,
    rw: &mut Rewriter,
    bytes: &[u8],
    format: Format,
    frames: &[Frame],
    out: &str,
) -> Result<ExitCode, String> {
    let file = std::fs::File::create(out).map_err(|e| format!("{out}: {e}"))?;
    let file = BufWriter::new(file);
    let converted = rw.config().to_ethernet.then_some(LinkType::ETHERNET);
    let mut writer = match format {
        Format::Pcap { .. } if replay::pcapout::header_kind(bytes).is_some() => {
            // A converted capture has Ethernet frames only (others are dropped).
            let link = converted.filter(|_| frames.iter().any(|f| f.link != LinkType::ETHERNET));
            Writer::Pcap(
                replay::pcapout::PcapOut::new(file, bytes, link)
                    .map_err(|e| format!("{out}: {e}"))?,
            )
        }
        Format::Pcap {
            nanos, linktype, ..
        } => Writer::Other(CaptureWriter::pcap(file, nanos, linktype)),
        Format::PcapNg => {
            Writer::Other(CaptureWriter::pcapng(file).map_err(|e| format!("{out}: {e}"))?)
        }
    };
    let (_, period) = pace::schedule(Timing::Original { multiplier: 1.0 }, &offsets(frames), &[]);
    let mut stats = Stats::default();
    let mut notes = 0;
    let mut written = 0u64;
    let limit = a.limit.unwrap_or(u64::MAX);
    'passes: for pass in 0..a.loops {
        let shift = period.saturating_mul(u64::from(pass));
        for (i, f) in frames.iter().enumerate() {
            if written >= limit {
                break 'passes;
            }
            let o = rw.frame(f.link, &f.data, pass);
            account(&mut stats, &o, i, &mut notes);
            let total_ns = u128::from(f.ts.nanos) + u128::from(shift);
            let ts = Timestamp {
                secs: f.ts.secs + i64::try_from(total_ns / 1_000_000_000).unwrap_or(0),
                nanos: (total_ns % 1_000_000_000) as u32,
            };
            // orig_len keeps the octets the capture cut off (snap length).
            let cut = u64::from(f.orig_len).saturating_sub(f.data.len() as u64);
            for data in &o.frames {
                let orig_len = u32::try_from(data.len() as u64 + cut).unwrap_or(u32::MAX);
                let r = match &mut writer {
                    Writer::Pcap(w) => w
                        .write(ts.secs, ts.nanos, orig_len, data)
                        .map_err(|e| e.to_string()),
                    Writer::Other(w) => w
                        .write(&Packet {
                            ts,
                            linktype: o.link,
                            interface: f.interface,
                            orig_len,
                            data,
                            comment: f.comment.as_deref(),
                        })
                        .map_err(|e| e.to_string()),
                };
                r.map_err(|e| format!("{out}: {e}"))?;
                written += 1;
            }
        }
    }
    let flushed = match writer {
        Writer::Pcap(w) => w.finish().map(drop).map_err(|e| e.to_string()),
        Writer::Other(w) => w
            .finish()
            .map_err(|e| e.to_string())
            .and_then(|mut w| w.flush().map_err(|e| e.to_string())),
    };
    flushed.map_err(|e| format!("{out}: {e}"))?;
    eprintln!("{stats}");
    Ok(if stats.any_failed() {
        ExitCode::from(EXIT_ACTION)
    } else {
        ExitCode::SUCCESS
    })
}

/// A frame ready to go: its deadline (ns from the start) and octets.
struct Ready {
    deadline: u64,
    index: usize,
    link: LinkType,
    data: Vec<u8>,
}

/// Rewrites every pass up front (so rewriting never delays a deadline) and returns the
/// frames in sending order.
fn prepare(
    a: &ReplayArgs,
    rw: &mut Rewriter,
    frames: &[Frame],
    timing: Timing,
    stats: &mut Stats,
) -> Vec<Ready> {
    let lens: Vec<usize> = frames.iter().map(|f| f.data.len()).collect();
    let (deadlines, period) = pace::schedule(timing, &offsets(frames), &lens);
    let limit = a.limit.unwrap_or(u64::MAX);
    let mut notes = 0;
    let mut out: Vec<Ready> = Vec::new();
    let mut first_pass: Vec<Output> = Vec::new();
    'passes: for pass in 0..a.loops {
        let reuse = pass > 0 && !a.renumber;
        for (i, f) in frames.iter().enumerate() {
            if out.len() as u64 >= limit {
                break 'passes;
            }
            let o = if reuse {
                match first_pass.get(i) {
                    Some(o) => o.clone(),
                    None => break 'passes,
                }
            } else {
                rw.frame(f.link, &f.data, pass)
            };
            account(stats, &o, i, &mut notes);
            let deadline =
                period.saturating_mul(u64::from(pass)) + deadlines.get(i).copied().unwrap_or(0);
            for data in &o.frames {
                if out.len() as u64 >= limit {
                    break 'passes;
                }
                out.push(Ready {
                    deadline,
                    index: i,
                    link: o.link,
                    data: data.clone(),
                });
            }
            if pass == 0 && !a.renumber && a.loops > 1 {
                first_pass.push(o);
            }
        }
    }
    if notes > MAX_NOTES {
        eprintln!("mvtp replay: … {} more dropped frames", notes - MAX_NOTES);
    }
    out
}

fn send(
    a: &ReplayArgs,
    rw: &mut Rewriter,
    frames: &[Frame],
    timing: Timing,
    iface: Option<&str>,
) -> Result<ExitCode, String> {
    let mut stats = Stats::default();
    let ready = prepare(a, rw, frames, timing, &mut stats);
    let mut report = Report {
        requested: timing.requested(),
        requested_pps: match timing {
            Timing::Pps(p) => Some(p),
            _ => None,
        },
        requested_mbps: match timing {
            Timing::Mbps(m) => Some(m),
            _ => None,
        },
        ..Report::default()
    };
    let Some(iface) = iface else {
        dry_run(&ready, rw);
        eprintln!("{stats}");
        return Ok(if stats.any_failed() {
            ExitCode::from(EXIT_ACTION)
        } else {
            ExitCode::SUCCESS
        });
    };
    let sendable: Vec<&Ready> = ready
        .iter()
        .filter(|r| {
            let ok = r.link == LinkType::ETHERNET;
            if !ok {
                stats.add(&replay::Outcome::Dropped(match r.link {
                    LinkType::IEEE802_11 | LinkType::IEEE802_11_RADIOTAP => {
                        "802.11 frame on an Ethernet interface: give --to-ethernet"
                    }
                    _ => "link type without an Ethernet header: cannot be sent on an Ethernet interface",
                }));
            }
            ok
        })
        .collect();
    send_on(iface, &sendable, timing, &mut report)?;
    println!("{report}");
    eprintln!("{stats}");
    Ok(if stats.any_failed() || report.failed > 0 {
        ExitCode::from(EXIT_ACTION)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(target_os = "linux")]
fn send_on(
    iface: &str,
    ready: &[&Ready],
    timing: Timing,
    report: &mut Report,
) -> Result<(), String> {
    let mut s = replay::send::Sender::open(iface)?;
    let paced = timing != Timing::Topspeed;
    if paced {
        report.lateness.reserve(ready.len());
    }
    if !paced {
        return send_batched(&mut s, ready, report);
    }
    let start = Instant::now();
    let mut first_sent: Option<Duration> = None;
    let mut last_err: Option<String> = None;
    for r in ready {
        let deadline = Duration::from_nanos(r.deadline);
        if paced {
            pace::wait_until(start, deadline);
            let late = start.elapsed().as_nanos() as i64 - r.deadline as i64;
            report.lateness.push(late);
        }
        match s.send(&r.data) {
            Ok(()) => {
                let now = start.elapsed();
                first_sent.get_or_insert(now);
                report.span = now - first_sent.unwrap_or(now);
                report.packets += 1;
                report.bytes += r.data.len() as u64;
            }
            Err(e) => {
                report.failed += 1;
                if last_err.is_none() {
                    eprintln!("mvtp replay: frame {}: {e}", r.index + 1);
                }
                last_err = Some(e.to_string());
            }
        }
    }
    report.elapsed = start.elapsed();
    Ok(())
}

/// Frames per `sendmmsg` at top speed.
#[cfg(target_os = "linux")]
const BATCH: usize = 64;

/// Top speed: batches of frames per system call.
#[cfg(target_os = "linux")]
fn send_batched(
    s: &mut replay::send::Sender,
    ready: &[&Ready],
    report: &mut Report,
) -> Result<(), String> {
    let frames: Vec<&[u8]> = ready.iter().map(|r| &r.data[..]).collect();
    let start = Instant::now();
    let mut i = 0;
    let mut reported = false;
    while i < frames.len() {
        let end = (i + BATCH).min(frames.len());
        match s.send_batch(&frames[i..end]) {
            Ok(n) => {
                report.packets += n as u64;
                report.bytes += frames[i..i + n].iter().map(|f| f.len() as u64).sum::<u64>();
                i += n;
            }
            Err(e) => {
                // The first frame of the batch failed: count it and go on with the next.
                if !reported {
                    eprintln!("mvtp replay: frame {}: {e}", ready[i].index + 1);
                    reported = true;
                }
                report.failed += 1;
                i += 1;
            }
        }
    }
    report.elapsed = start.elapsed();
    report.span = report.elapsed;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn send_on(_: &str, _: &[&Ready], _: Timing, _: &mut Report) -> Result<(), String> {
    Err("sending on an interface needs Linux (AF_PACKET)".into())
}

/// Prints, per frame: number, send time from the start, octets, and the dissector's summary.
fn dry_run(ready: &[Ready], rw: &Rewriter) {
    let keys = rw
        .config()
        .new_keys
        .clone()
        .or_else(|| rw.config().keys.clone())
        .unwrap_or_default();
    let mut d = dissector::engine::Dissector::new(dissector::engine::Config::default(), keys);
    let mut out = dissector::model::Dissection::default();
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    for (n, r) in ready.iter().enumerate() {
        d.dissect(r.link, &r.data, r.data.len(), &mut out);
        let mut s = String::new();
        dissector::output::summary::describe(&out, &r.data, Default::default(), &mut s);
        let _ = writeln!(
            o,
            "{:>6} +{:.6}s {:>5} octets {s}",
            n + 1,
            r.deadline as f64 / 1e9,
            r.data.len()
        );
    }
    let _ = writeln!(o, "dry run: {} frames, nothing sent", ready.len());
}
