//! RFC 1982 serial number arithmetic for 32-bit Connect IDs and Call Serial Numbers
//! (spec PROC-6, L2TP-6): `newer(a, b)` ⇔ `0 < (a − b) mod 2^32 < 2^31`.

/// `a` is newer than `b` (RFC 1982 §3.2, SERIAL_BITS = 32). Equal values are not newer,
/// and neither of two values exactly 2^31 apart is newer than the other.
#[inline]
pub const fn newer(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < 0x8000_0000
}

/// The serial number after `a` (wraps from 0xFFFF_FFFF to 0).
#[inline]
pub const fn next(a: u32) -> u32 {
    a.wrapping_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_6_newer_basic_and_wrap() {
        assert!(newer(2, 1));
        assert!(!newer(1, 2));
        assert!(!newer(5, 5));
        assert!(newer(0, 0xFFFF_FFFF), "wrap-around: 0 follows 0xFFFFFFFF");
        assert!(newer(3, 0xFFFF_FFF0));
        assert!(!newer(0xFFFF_FFF0, 3));
        // exactly half the space apart: undefined in RFC 1982, neither is newer
        assert!(!newer(0x8000_0000, 0));
        assert!(!newer(0, 0x8000_0000));
        assert!(newer(0x7FFF_FFFF, 0));
        assert_eq!(next(0xFFFF_FFFF), 0);
    }
}
