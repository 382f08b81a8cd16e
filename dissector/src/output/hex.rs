//! Hex and ASCII dump of a frame (`-x`), 16 octets a line, like tcpdump `-X` / tshark `-x`,
//! followed by each derived buffer (decrypted ESP payload, revealed hidden AVP).

use super::{PacketView, Printer};
use crate::model::BufferId;
use std::fmt::Write as _;

/// Hex dump printer.
#[derive(Default)]
pub struct HexPrinter;

impl Printer for HexPrinter {
    fn packet(&mut self, p: &PacketView<'_>, out: &mut String) {
        dump(p.frame, out);
        for (i, b) in p.d.buffers.iter().enumerate() {
            if b.is_empty() {
                continue;
            }
            let what =
                p.d.layers
                    .iter()
                    .find(|l| l.buffer == BufferId::Derived(i as u16))
                    .map_or("derived octets", |l| l.proto);
            let _ = writeln!(
                out,
                "buffer {} ({} octets, first layer {what}):",
                i + 1,
                b.len()
            );
            dump(b, out);
        }
        out.push('\n');
    }
}

/// Appends the dump of `data`.
pub fn dump(data: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (line, chunk) in data.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}  ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    out.push(HEX[usize::from(b >> 4)] as char);
                    out.push(HEX[usize::from(b & 15)] as char);
                    out.push(' ');
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str("  ");
        for &b in chunk {
            out.push(if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            });
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dump_layout() {
        let mut s = String::new();
        super::dump(b"ABCDEFGHIJKLMNOPQ", &mut s);
        assert_eq!(
            s,
            "0000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50   ABCDEFGHIJKLMNOP\n\
             0010  51                                                 Q\n"
        );
    }
}
