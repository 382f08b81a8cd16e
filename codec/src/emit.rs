//! Helpers for encoders: length slots reserved then filled, width-checked narrowing.

use crate::error::EncodeError;

/// A length field reserved in the output, filled once the length is known (STYLE §5).
#[must_use = "a reserved length slot must be filled"]
#[derive(Debug)]
pub struct LenSlot {
    at: usize,
    width: usize,
}

impl LenSlot {
    /// Reserves a big-endian u16 at the end of `out`.
    pub fn u16(out: &mut Vec<u8>) -> Self {
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        Self { at, width: 2 }
    }

    /// Reserves one octet at the end of `out`.
    pub fn u8(out: &mut Vec<u8>) -> Self {
        let at = out.len();
        out.push(0);
        Self { at, width: 1 }
    }

    /// Position of the slot in the output.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Writes `n` into the slot; `field` names it in the error when `n` does not fit.
    pub fn fill(self, out: &mut [u8], n: usize, field: &'static str) -> Result<(), EncodeError> {
        self.fill_masked(out, n, 0, field)
    }

    /// Writes `n | high_bits` into a u16 slot whose low `bits` carry the length
    /// (for example the 10-bit L2TP AVP length under the M/H flags).
    pub fn fill_masked(self, out: &mut [u8], n: usize, high_bits: u16, field: &'static str) -> Result<(), EncodeError> {
        let max = if self.width == 1 { 0xFF } else { 0xFFFF };
        if n > max {
            return Err(EncodeError::new(field, format!("{n} does not fit in {} octet(s)", self.width)));
        }
        let slot = out
            .get_mut(self.at..self.at + self.width)
            .ok_or_else(|| EncodeError::new(field, "length slot outside the output"))?;
        if self.width == 1 {
            slot[0] = n as u8; // n <= 0xFF checked above
        } else {
            let v = (n as u16) | high_bits; // n <= 0xFFFF checked above
            slot.copy_from_slice(&v.to_be_bytes());
        }
        Ok(())
    }
}

/// Narrows `v` to `bits` bits or names `field` in the error.
pub fn check_bits(v: u64, bits: u32, field: &'static str) -> Result<u64, EncodeError> {
    if bits < 64 && v >> bits != 0 {
        Err(EncodeError::new(field, format!("{v} does not fit in {bits} bits")))
    } else {
        Ok(v)
    }
}

/// Packs two nibbles into one octet (e.g. MVTP version and reserved).
pub fn nibbles(high: u8, low: u8, field: &'static str) -> Result<u8, EncodeError> {
    if high > 0x0F || low > 0x0F {
        return Err(EncodeError::new(field, format!("{high:#x}/{low:#x} do not fit in 4 bits")));
    }
    Ok(high << 4 | low)
}

/// `usize` → `u16`, naming the field on overflow.
pub fn to_u16(n: usize, field: &'static str) -> Result<u16, EncodeError> {
    u16::try_from(n).map_err(|_| EncodeError::new(field, format!("{n} does not fit in 16 bits")))
}

/// `usize` → `u8`, naming the field on overflow.
pub fn to_u8(n: usize, field: &'static str) -> Result<u8, EncodeError> {
    u8::try_from(n).map_err(|_| EncodeError::new(field, format!("{n} does not fit in 8 bits")))
}
