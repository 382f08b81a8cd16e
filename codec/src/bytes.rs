//! Checked big-endian reads for views and parsers. Every read is bounds-checked.

use crate::error::DecodeError;

/// Reads a big-endian u16 at `at`, if present.
#[inline]
pub fn be_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// Reads a big-endian u32 at `at`, if present.
#[inline]
pub fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads a big-endian u64 at `at`, if present.
#[inline]
pub fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_be_bytes(a))
}

/// Reads `N` octets at `at` as an array, if present.
#[inline]
pub fn array<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    let s = b.get(at..at.checked_add(N)?)?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Some(a)
}

/// `b[at..at+len]`, or a `truncated` error naming `field` at `field_offset`.
#[inline]
pub fn take<'a>(b: &'a [u8], at: usize, len: usize, field: &'static str, field_offset: usize) -> Result<&'a [u8], DecodeError> {
    at.checked_add(len)
        .and_then(|end| b.get(at..end))
        .ok_or_else(|| DecodeError::truncated(field, field_offset, len, b.len().saturating_sub(at)))
}
