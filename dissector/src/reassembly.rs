//! IPv4 fragment reassembly (RFC 791 §3.2, RFC 815), bounded: tunnelled packets split by the
//! tunnel overhead dissect whole, and no capture can make memory grow without limit.
//!
//! Datagrams are keyed by (source, destination, protocol, identification). Limits: at most
//! [`MAX_DATAGRAMS`] in progress and [`MAX_BYTES`] held in all; a datagram unfinished after
//! [`TIMEOUT_S`] seconds of capture time is dropped; a reassembled datagram is at most
//! 65,535 octets. Overlapping fragments keep the octets that arrived first (and are reported).

use std::collections::HashMap;

/// Datagrams in progress at most; beyond it the oldest is dropped.
pub const MAX_DATAGRAMS: usize = 1024;
/// Octets held in all fragments at most.
pub const MAX_BYTES: usize = 16 << 20;
/// Capture-time seconds after which an unfinished datagram is dropped (Linux ipfrag_time).
pub const TIMEOUT_S: f64 = 30.0;
/// Largest IPv4 datagram payload: 65,535 − 20.
pub const MAX_PAYLOAD: usize = 65_515;

/// Identifies one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// Source address.
    pub src: [u8; 4],
    /// Destination address.
    pub dst: [u8; 4],
    /// Protocol.
    pub proto: u8,
    /// Identification.
    pub id: u16,
}

/// What adding a fragment gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// More fragments are needed; `held` fragments so far.
    Incomplete {
        /// Fragments held for this datagram.
        held: usize,
    },
    /// The whole payload, in order, and whether fragments overlapped.
    Complete {
        /// The reassembled payload.
        payload: Vec<u8>,
        /// Fragments that were reassembled.
        fragments: usize,
        /// Some fragments overlapped (first arrival kept).
        overlap: bool,
    },
    /// The fragment cannot belong to a valid datagram.
    Invalid(&'static str),
}

#[derive(Debug)]
struct Partial {
    first_seen: f64,
    pieces: Vec<(usize, Vec<u8>)>,
    total: Option<usize>,
    bytes: usize,
}

/// Reassembly state of a capture.
#[derive(Debug, Default)]
pub struct Reassembler {
    partial: HashMap<Key, Partial>,
    bytes: usize,
    /// Datagrams dropped unfinished (timeout or limits), for the end-of-run report.
    pub dropped: u64,
}

impl Reassembler {
    /// Adds the fragment at octet `offset` of datagram `key`; `more` is the MF flag.
    pub fn add(&mut self, now: f64, key: Key, offset: usize, more: bool, data: &[u8]) -> Outcome {
        self.expire(now);
        let end = offset + data.len();
        if end > MAX_PAYLOAD {
            return Outcome::Invalid("fragment ends beyond 65,535 octets");
        }
        if more && !data.len().is_multiple_of(8) {
            return Outcome::Invalid("a non-final fragment's length is not a multiple of 8");
        }
        if !self.partial.contains_key(&key) && self.partial.len() >= MAX_DATAGRAMS {
            self.drop_oldest();
        }
        while self.bytes + data.len() > MAX_BYTES && !self.partial.is_empty() {
            self.drop_oldest();
        }
        let p = self.partial.entry(key).or_insert(Partial { first_seen: now, pieces: Vec::new(), total: None, bytes: 0 });
        if !more {
            match p.total {
                Some(t) if t != end => {
                    return Outcome::Invalid("two last fragments disagree on the datagram length");
                }
                _ => p.total = Some(end),
            }
        }
        p.pieces.push((offset, data.to_vec()));
        p.bytes += data.len();
        self.bytes += data.len();
        let Some(total) = p.total else { return Outcome::Incomplete { held: p.pieces.len() } };
        // Complete when the pieces cover 0..total without a hole.
        let mut spans: Vec<(usize, usize)> = p.pieces.iter().map(|(o, d)| (*o, o + d.len())).collect();
        spans.sort_unstable();
        let mut covered = 0;
        for (s, e) in spans {
            if s > covered {
                return Outcome::Incomplete { held: p.pieces.len() };
            }
            covered = covered.max(e);
        }
        if covered < total {
            return Outcome::Incomplete { held: p.pieces.len() };
        }
        let Some(p) = self.partial.remove(&key) else { return Outcome::Invalid("lost state") };
        self.bytes -= p.bytes;
        let mut payload = vec![0u8; total];
        let mut filled = vec![false; total];
        let mut overlap = false;
        for (o, d) in &p.pieces {
            for (i, b) in d.iter().enumerate() {
                let at = o + i;
                if at >= total {
                    break;
                }
                if filled[at] {
                    overlap = true;
                } else {
                    payload[at] = *b;
                    filled[at] = true;
                }
            }
        }
        Outcome::Complete { payload, fragments: p.pieces.len(), overlap }
    }

    fn expire(&mut self, now: f64) {
        let before = self.partial.len();
        let mut freed = 0;
        self.partial.retain(|_, p| {
            let keep = now - p.first_seen <= TIMEOUT_S;
            if !keep {
                freed += p.bytes;
            }
            keep
        });
        self.bytes -= freed;
        self.dropped += (before - self.partial.len()) as u64;
    }

    fn drop_oldest(&mut self) {
        let Some(k) = self.partial.iter().min_by(|a, b| a.1.first_seen.total_cmp(&b.1.first_seen)).map(|(k, _)| *k) else { return };
        if let Some(p) = self.partial.remove(&k) {
            self.bytes -= p.bytes;
            self.dropped += 1;
        }
    }

    /// Datagrams in progress.
    pub fn in_progress(&self) -> usize {
        self.partial.len()
    }

    /// Octets held.
    pub fn held_bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K: Key = Key { src: [10, 0, 0, 1], dst: [10, 0, 0, 2], proto: 17, id: 7 };

    #[test]
    fn rfc791_out_of_order_fragments_reassemble() {
        let data: Vec<u8> = (0..40u8).collect();
        let mut r = Reassembler::default();
        assert_eq!(r.add(0.0, K, 24, false, &data[24..]), Outcome::Incomplete { held: 1 });
        assert_eq!(r.add(0.1, K, 0, true, &data[..16]), Outcome::Incomplete { held: 2 });
        match r.add(0.2, K, 16, true, &data[16..24]) {
            Outcome::Complete { payload, fragments, overlap } => {
                assert_eq!(payload, data);
                assert_eq!((fragments, overlap), (3, false));
            }
            o => panic!("{o:?}"),
        }
        assert_eq!((r.in_progress(), r.held_bytes()), (0, 0));
    }

    #[test]
    fn overlap_keeps_first_arrival_and_is_reported() {
        let mut r = Reassembler::default();
        r.add(0.0, K, 0, true, &[1; 16]);
        match r.add(0.0, K, 8, false, &[2; 16]) {
            Outcome::Complete { payload, overlap, .. } => {
                assert!(overlap);
                assert_eq!(&payload[..16], &[1; 16]);
                assert_eq!(&payload[16..], &[2; 8]);
            }
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn limits_and_timeouts_bound_memory() {
        let mut r = Reassembler::default();
        assert_eq!(r.add(0.0, K, 65_512, false, &[0; 8]), Outcome::Invalid("fragment ends beyond 65,535 octets"));
        assert_eq!(r.add(0.0, K, 0, true, &[0; 7]), Outcome::Invalid("a non-final fragment's length is not a multiple of 8"));
        for id in 0..(MAX_DATAGRAMS as u16 + 10) {
            r.add(0.0, Key { id, ..K }, 0, true, &[0; 8]);
        }
        assert_eq!(r.in_progress(), MAX_DATAGRAMS);
        assert_eq!(r.dropped, 10);
        r.add(TIMEOUT_S + 1.0, Key { id: 60_000, ..K }, 0, true, &[0; 8]);
        assert_eq!(r.in_progress(), 1, "everything older than the timeout is gone");
        assert_eq!(r.held_bytes(), 8);
    }
}
