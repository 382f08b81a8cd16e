//! What `check` and `stats` share with `read`: the capture input, the keys (`--keys`, `-E`)
//! and "decode as" rules (`-d`), set up the same way in every subcommand.

use crate::read::{decode_as, load_secrets};
use clap::Args;
use dissector::capture::CaptureReader;
use dissector::{Config, Dissector, Keys};
use std::io::Read;
use std::time::Duration;

/// Input, keys and decode-as options, flattened into a subcommand's arguments.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Capture file (pcap or pcapng); `-` reads standard input.
    #[arg(short = 'r', long = "read", value_name = "FILE")]
    pub read: Option<String>,
    /// Capture file, as a positional argument.
    #[arg(value_name = "FILE", conflicts_with = "read")]
    pub file: Option<String>,
    /// Keep reading as the file grows.
    #[arg(long)]
    pub follow: bool,
    /// Keys file: the `keys` object of the spec vectors (mvtp_auth, mip_auth, esp, l2tp_secret).
    #[arg(long, value_name = "FILE")]
    pub keys: Option<String>,
    /// ESP secrets in tcpdump's -E syntax: `[SPI@DST] ALGO:0xKEY[,…]` or `file PATH`.
    #[arg(short = 'E', value_name = "SECRETS")]
    pub esp_secrets: Vec<String>,
    /// Decode as: `udp.port==9999,l2tp`, `gre.proto==0x9999,mvtp`.
    #[arg(short = 'd', value_name = "RULE")]
    pub decode_as: Vec<String>,
}

/// An opened input: the capture reader and a dissector with its keys and configuration.
pub struct Opened {
    /// The capture.
    pub reader: CaptureReader<Box<dyn Read + Send>>,
    /// The dissector.
    pub dissector: Dissector,
    /// A regular file read to its end: [`Opened::for_each`] may dissect it on a second
    /// thread ([`dissector::pipeline`]).
    pub pipelinable: bool,
    /// True when any key was given (rules that need keys are evaluated).
    pub keys_given: bool,
    /// The input's name, for reports.
    pub name: String,
}

impl Opened {
    /// Reads every packet, dissects it, and hands (number from 1, capture time in seconds,
    /// dissection, octets) to `each`. Returns the number of packets, or the read error.
    pub fn for_each(self, mut each: impl FnMut(u64, f64, &dissector::model::Dissection, &[u8])) -> Result<u64, String> {
        if self.pipelinable && dissector::pipeline::worth_it() {
            struct Each<F>(F, u64);
            impl<F: FnMut(u64, f64, &dissector::model::Dissection, &[u8])> dissector::pipeline::Sink for Each<F> {
                fn packet(&mut self, p: &dissector::capture::Packet<'_>, d: &dissector::model::Dissection) -> bool {
                    self.1 += 1;
                    (self.0)(self.1, p.ts.as_f64(), d, p.data);
                    true
                }
            }
            let mut sink = Each(each, 0);
            let end = dissector::pipeline::run(Box::new(self.reader), self.dissector, &mut sink);
            return match end.input_error {
                Some(e) => Err(format!("{}: {e} (after {} packets)", self.name, sink.1)),
                None => Ok(sink.1),
            };
        }
        let mut d = dissector::model::Dissection::default();
        let (mut reader, mut dissector) = (self.reader, self.dissector);
        let mut n = 0u64;
        loop {
            let p = match reader.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(n),
                Err(e) => return Err(format!("{}: {e} (after {n} packets)", self.name)),
            };
            n += 1;
            let ts = p.ts.as_f64();
            dissector.set_time(ts);
            dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut d);
            each(n, ts, &d, p.data);
        }
    }
}

impl InputArgs {
    /// The path given, if any.
    pub fn path(&self) -> Option<&str> {
        self.read.as_deref().or(self.file.as_deref())
    }

    /// The dissector with the keys and decode-as rules given, and whether any key was.
    pub fn dissector(&self) -> Result<(Dissector, bool), String> {
        let mut keys = Keys::default();
        let mut keys_given = false;
        if let Some(path) = &self.keys {
            let text = std::fs::read_to_string(path).map_err(|e| format!("--keys {path}: {e}"))?;
            keys = Keys::from_json(&text).map_err(|e| format!("--keys {path}: {e}"))?;
            keys_given = true;
        }
        for s in &self.esp_secrets {
            load_secrets(s, &mut keys, 0).map_err(|e| format!("-E: {e}"))?;
            keys_given = true;
        }
        let mut config = Config::default();
        for rule in &self.decode_as {
            decode_as(rule, &mut config).map_err(|e| format!("-d {rule:?}: {e}"))?;
        }
        Ok((Dissector::new(config, keys), keys_given))
    }

    /// Loads the keys and decode-as rules and opens the capture.
    pub fn open(&self) -> Result<Opened, String> {
        let (dissector, keys_given) = self.dissector()?;
        let Some(path) = self.path() else {
            return Err("no input: give a capture file (-r FILE, or - for stdin)".into());
        };
        let src: Box<dyn Read + Send> = if path == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?)
        };
        let follow = self.follow.then_some(Duration::from_millis(200));
        let reader = CaptureReader::with_follow(src, follow).map_err(|e| format!("{path}: {e}"))?;
        Ok(Opened {
            reader,
            dissector,
            pipelinable: path != "-" && !self.follow,
            keys_given,
            name: path.to_string(),
        })
    }
}
