//! Reading and dissecting on a second thread while the caller's thread consumes the
//! dissections (prints, checks, counts): the capture engine's two-stage pipeline.
//!
//! The reader thread reads and dissects in capture order, so reassembly and every
//! cross-packet state see exactly what a one-thread run sees; the packets and their
//! dissections travel in batches that are reused, so memory stays flat (at most
//! [`BATCHES_IN_FLIGHT`] + 2 batches ever exist). The consumer can stop early (its
//! [`Sink::packet`] returns false); the reader thread then ends at its next hand-over.

use crate::capture::{CaptureReader, Packet, Timestamp};
use crate::engine::Dissector;
use crate::model::Dissection;
use codec::numbers::LinkType;
use std::io::Read;
use std::sync::mpsc;

/// Packets per batch handed from the dissecting thread to the consumer.
pub const BATCH: usize = 32;
/// Batches in flight between the two threads.
pub const BATCHES_IN_FLIGHT: usize = 2;

/// What consumes the dissected packets, on the caller's thread.
pub trait Sink {
    /// One packet and its dissection, in capture order; false stops the run.
    fn packet(&mut self, p: &Packet<'_>, d: &Dissection) -> bool;
    /// A batch was consumed; `offset` is the input's stream offset after it (progress).
    fn batch_done(&mut self, _offset: u64) {}
}

/// How a run ended.
#[derive(Debug, Default)]
pub struct End {
    /// The input error that ended it, if any.
    pub input_error: Option<String>,
    /// The reader's skipped blocks (reason, count).
    pub skipped: Vec<(String, u64)>,
}

/// One packet copied out of the reader with its dissection.
#[derive(Default)]
struct Slot {
    ts: Timestamp,
    linktype: LinkType,
    interface: u32,
    orig_len: u32,
    data: Vec<u8>,
    comment: Option<String>,
    d: Dissection,
}

/// A run of packets; slots and their dissections are reused batch after batch.
#[derive(Default)]
struct Batch {
    slots: Vec<Slot>,
    len: usize,
    offset: u64,
    skipped: Option<Vec<(String, u64)>>,
    /// `Some` on the last batch: `Some(None)` at the end of the input, `Some(Some(e))` on
    /// an input error.
    end: Option<Option<String>>,
}

/// Reads and dissects `reader` with `dissector` on a second thread, handing every packet
/// to `sink` on this one.
pub fn run<R: Read + Send + 'static>(mut reader: Box<CaptureReader<R>>, mut dissector: Dissector, sink: &mut impl Sink) -> End {
    let (full_tx, full_rx) = mpsc::sync_channel::<Batch>(BATCHES_IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    let producer = std::thread::spawn(move || {
        let mut skipped_seen = 0u64;
        loop {
            let mut b = empty_rx.try_recv().unwrap_or_default();
            b.len = 0;
            b.skipped = None;
            b.end = None;
            while b.len < BATCH {
                match reader.next_packet() {
                    Ok(Some(p)) => {
                        if b.slots.len() == b.len {
                            b.slots.push(Slot::default());
                        }
                        let Some(s) = b.slots.get_mut(b.len) else { break };
                        s.ts = p.ts;
                        s.linktype = p.linktype;
                        s.interface = p.interface;
                        s.orig_len = p.orig_len;
                        s.data.clear();
                        s.data.extend_from_slice(p.data);
                        match (p.comment, &mut s.comment) {
                            (None, c) => *c = None,
                            (Some(t), Some(c)) => {
                                c.clear();
                                c.push_str(t);
                            }
                            (Some(t), c) => *c = Some(t.to_string()),
                        }
                        dissector.set_time(p.ts.as_f64());
                        dissector.dissect(p.linktype, p.data, p.orig_len as usize, &mut s.d);
                        b.len += 1;
                    }
                    Ok(None) => b.end = Some(None),
                    Err(e) => b.end = Some(Some(e.to_string())),
                }
                if b.end.is_some() {
                    break;
                }
            }
            b.offset = reader.offset();
            let n: u64 = reader.skipped.iter().map(|x| x.1).sum();
            if n != skipped_seen {
                skipped_seen = n;
                b.skipped = Some(reader.skipped.clone());
            }
            let last = b.end.is_some();
            if full_tx.send(b).is_err() || last {
                return;
            }
        }
    });
    let mut end = End::default();
    'batches: while let Ok(mut b) = full_rx.recv() {
        if let Some(s) = b.skipped.take() {
            end.skipped = s;
        }
        for s in b.slots.iter().take(b.len) {
            let p = Packet {
                ts: s.ts,
                linktype: s.linktype,
                interface: s.interface,
                orig_len: s.orig_len,
                data: &s.data,
                comment: s.comment.as_deref(),
            };
            if !sink.packet(&p, &s.d) {
                break 'batches;
            }
        }
        sink.batch_done(b.offset);
        if let Some(e) = b.end.take() {
            end.input_error = e;
            break;
        }
        let _ = empty_tx.send(b);
    }
    // Ended early (the sink stopped, or the output closed): the reader stops at its next
    // send. It is not waited for, as it may be blocked reading.
    drop(full_rx);
    if end.input_error.is_some() || producer.is_finished() {
        let _ = producer.join();
    }
    end
}

/// Whether to run a file through the pipeline: a second core is there and `MVTP_THREADS`
/// is not 1.
pub fn worth_it() -> bool {
    std::env::var("MVTP_THREADS").map_or(true, |v| v.trim() != "1") && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1)
}
