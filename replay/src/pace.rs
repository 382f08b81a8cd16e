//! Pacing: a schedule of absolute send deadlines from a fixed start (no drift: a late
//! frame does not push the later ones), waiting by sleeping until shortly before the
//! deadline and spinning the rest, and tcpreplay-like statistics.

use std::fmt;
use std::time::{Duration, Instant};

/// Below this much time left, spin instead of sleeping (covers the kernel's default
/// 50 µs timer slack and the wake-up latency).
const SPIN: Duration = Duration::from_micros(150);
/// Nanoseconds per second.
const NS: f64 = 1e9;

/// How fast to send.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    /// The capture's own timing, sped up by a factor (1.0: as captured).
    Original {
        /// Speed factor (2.0 sends twice as fast).
        multiplier: f64,
    },
    /// A fixed packet rate.
    Pps(f64),
    /// A fixed bit rate (megabits per second, frame octets counted).
    Mbps(f64),
    /// As fast as the interface takes them.
    Topspeed,
}

impl Timing {
    /// What was requested, for the report.
    pub fn requested(&self) -> String {
        match self {
            Timing::Original { multiplier } if *multiplier == 1.0 => "capture timing".into(),
            Timing::Original { multiplier } => format!("capture timing × {multiplier}"),
            Timing::Pps(p) => format!("{p} pps"),
            Timing::Mbps(m) => format!("{m} Mbps"),
            Timing::Topspeed => "top speed".into(),
        }
    }
}

/// Deadlines of one pass, in nanoseconds from the start, and the period after which the
/// next pass starts. `offsets`: each frame's capture time in ns from the first frame;
/// `lens`: frame octets.
pub fn schedule(t: Timing, offsets: &[u64], lens: &[usize]) -> (Vec<u64>, u64) {
    let n = offsets.len();
    match t {
        Timing::Topspeed => (vec![0; n], 0),
        Timing::Pps(p) => {
            let gap = NS / p;
            (
                (0..n).map(|i| (i as f64 * gap).round() as u64).collect(),
                (n as f64 * gap).round() as u64,
            )
        }
        Timing::Mbps(m) => {
            let ns_per_bit = 1e3 / m;
            let mut bits = 0u64;
            let mut d = Vec::with_capacity(n);
            for &l in lens {
                d.push((bits as f64 * ns_per_bit).round() as u64);
                bits += 8 * l as u64;
            }
            (d, (bits as f64 * ns_per_bit).round() as u64)
        }
        Timing::Original { multiplier } => {
            let d: Vec<u64> = offsets
                .iter()
                .map(|&o| (o as f64 / multiplier).round() as u64)
                .collect();
            let last = d.last().copied().unwrap_or(0);
            // The next pass follows after one mean gap, as the capture would go on.
            let gap = if n > 1 { last / (n as u64 - 1) } else { 0 };
            (d, last + gap)
        }
    }
}

/// Waits until `deadline` after `start`: sleeps while more than [`SPIN`] is left, then
/// spins. Returns at once when the deadline has passed.
pub fn wait_until(start: Instant, deadline: Duration) {
    loop {
        let now = start.elapsed();
        if now >= deadline {
            return;
        }
        let left = deadline - now;
        if left > SPIN {
            std::thread::sleep(left - SPIN);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// What a replay did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// What was requested.
    pub requested: String,
    /// The requested rate in packets per second, when it is one.
    pub requested_pps: Option<f64>,
    /// The requested rate in Mbps, when it is one.
    pub requested_mbps: Option<f64>,
    /// Frames sent.
    pub packets: u64,
    /// Octets sent.
    pub bytes: u64,
    /// Frames the interface refused (send error).
    pub failed: u64,
    /// From the start to the last send.
    pub elapsed: Duration,
    /// From the first send to the last (rates count the intervals between them).
    pub span: Duration,
    /// Per frame: send time minus deadline, in nanoseconds (paced replays only).
    pub lateness: Vec<i64>,
}

/// The `q`-quantile (0..=1) of sorted values.
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted.get(i).copied()
}

impl Report {
    /// Packets per second achieved.
    pub fn pps(&self) -> f64 {
        let s = self.span.as_secs_f64();
        if s > 0.0 && self.packets > 1 {
            (self.packets - 1) as f64 / s
        } else {
            0.0
        }
    }

    /// Megabits per second achieved.
    pub fn mbps(&self) -> f64 {
        let s = self.span.as_secs_f64();
        if s > 0.0 && self.packets > 1 {
            // The last frame's bits are not inside the span: count the mean frame fewer.
            let bits = self.bytes as f64 * 8.0 * (self.packets - 1) as f64 / self.packets as f64;
            bits / s / 1e6
        } else {
            0.0
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Actual: {} packets ({} bytes) sent in {:.6} seconds",
            self.packets,
            self.bytes,
            self.elapsed.as_secs_f64()
        )?;
        writeln!(
            f,
            "Rated: {:.1} Bps, {:.3} Mbps, {:.2} pps",
            self.mbps() * 1e6 / 8.0,
            self.mbps(),
            self.pps()
        )?;
        write!(f, "Requested: {}", self.requested)?;
        if let Some(p) = self.requested_pps.filter(|p| *p > 0.0) {
            write!(f, " (achieved {:+.3} %)", (self.pps() / p - 1.0) * 100.0)?;
        }
        if let Some(m) = self.requested_mbps.filter(|m| *m > 0.0) {
            write!(f, " (achieved {:+.3} %)", (self.mbps() / m - 1.0) * 100.0)?;
        }
        writeln!(f)?;
        let mut l = self.lateness.clone();
        l.sort_unstable();
        if let (Some(p50), Some(p99), Some(max)) = (quantile(&l, 0.5), quantile(&l, 0.99), l.last())
        {
            writeln!(
                f,
                "Schedule jitter (send time − deadline): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
                p50 as f64 / 1e3,
                p99 as f64 / 1e3,
                *max as f64 / 1e3
            )?;
        }
        write!(f, "Failed packets: {}", self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pps_deadlines_are_absolute() {
        let (d, p) = schedule(Timing::Pps(20_000.0), &[0, 7, 9, 1_000_000], &[60; 4]);
        assert_eq!(d, vec![0, 50_000, 100_000, 150_000]);
        assert_eq!(p, 200_000);
    }

    #[test]
    fn mbps_counts_frame_bits() {
        // 1 Mbps: 1000 ns per bit; a 125-octet frame is 1 ms.
        let (d, p) = schedule(Timing::Mbps(1.0), &[0, 0, 0], &[125, 125, 250]);
        assert_eq!(d, vec![0, 1_000_000, 2_000_000]);
        assert_eq!(p, 4_000_000);
    }

    #[test]
    fn multiplier_scales_capture_time() {
        let (d, p) = schedule(
            Timing::Original { multiplier: 2.0 },
            &[0, 1_000, 4_000],
            &[1; 3],
        );
        assert_eq!(d, vec![0, 500, 2_000]);
        assert_eq!(p, 3_000);
        assert_eq!(
            schedule(Timing::Topspeed, &[0, 5], &[1, 1]),
            (vec![0, 0], 0)
        );
    }

    #[test]
    fn quantiles() {
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), Some(51));
        assert_eq!(quantile(&v, 0.99), Some(99));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn wait_until_is_not_early() {
        let s = Instant::now();
        wait_until(s, Duration::from_micros(300));
        assert!(s.elapsed() >= Duration::from_micros(300));
    }
}
