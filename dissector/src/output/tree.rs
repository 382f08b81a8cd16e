//! The layer tree (`-V`): a frame line, then each layer with its fields indented by their
//! depth (`Field::depth`) and its diagnostics, values rendered by `Dissection::render`.

use super::{health, Colors, Health, PacketView, Printer};
use crate::model::BufferId;
use codec::Severity;
use std::fmt::Write as _;

/// Tree printer.
pub struct TreePrinter {
    /// Colours.
    pub colors: Colors,
}

impl Printer for TreePrinter {
    fn packet(&mut self, p: &PacketView<'_>, out: &mut String) {
        let d = p.d;
        let c = self.colors;
        c.bold(out, |o| {
            let _ = write!(o, "Frame {}", p.number);
        });
        let _ = write!(
            out,
            ": {} octets on wire, {} captured, link type {}, ",
            p.orig_len,
            p.frame.len(),
            p.linktype.0
        );
        p.ts.write_rfc3339(out);
        out.push('\n');
        if let Some(cm) = p.comment {
            let _ = writeln!(out, "    comment: {cm}");
        }
        match health(d) {
            Health::TruncatedCapture => c.yellow(out, |o| {
                let _ = writeln!(
                    o,
                    "    [truncated capture: {} of {} octets]",
                    p.frame.len(),
                    p.orig_len
                );
            }),
            Health::Malformed => c.red(out, |o| o.push_str("    [malformed]\n")),
            Health::Ok => {}
        }
        for (li, l) in d.layers.iter().enumerate() {
            c.bold(out, |o| o.push_str(l.proto));
            let _ = write!(
                out,
                " (offset {}, {} octets",
                l.range.start,
                l.range.end.saturating_sub(l.range.start)
            );
            if let BufferId::Derived(i) = l.buffer {
                let _ = write!(out, ", in buffer {}", i + 1);
            }
            out.push_str(")\n");
            for f in d.layer_fields(li) {
                if f.value == crate::model::Value::Empty {
                    continue;
                }
                for _ in 0..=usize::from(f.depth) {
                    out.push_str("    ");
                }
                out.push_str(f.name);
                if !matches!(f.value, crate::model::Value::None) {
                    out.push_str(": ");
                    super::render(d, p.frame, f, out);
                }
                out.push('\n');
            }
            for pd in d.diagnostics.iter().filter(|pd| pd.layer == li) {
                let g = &pd.diag;
                let paint = |o: &mut String| {
                    let _ = write!(o, "    [{}", g.severity.as_str());
                    if let Some(k) = g.kind {
                        let _ = write!(o, " {k}");
                    }
                    if let Some(cl) = g.clause {
                        let _ = write!(o, " {cl}");
                    }
                    let _ = writeln!(o, " at {} ({}): {}]", g.offset, g.field, g.detail);
                };
                match g.severity {
                    Severity::Error => c.red(out, paint),
                    Severity::Warning => c.yellow(out, paint),
                    Severity::Info => paint(out),
                }
            }
        }
        out.push('\n');
    }
}
