//! Display filters in Wireshark's language (`wireshark-filter(4)`, Wireshark 4 semantics):
//! `mvtp && ip.src == 10.0.0.0/8`, `l2tp && !esp`, `mvtp.avp.type in {1..5, 9}`,
//! `eth.src[0:3] == 00:21:6a`, `data.data contains "abc"`. See `docs/filters.md`.
//!
//! A filter is compiled once ([`Filter::compile`]): names are resolved against the field
//! registry (`codec::fields`), literals are converted to the type of the field they are
//! compared with, and errors carry the byte position of the offending token. Evaluation
//! ([`Filter::matches`]) walks the compiled tree over a [`Dissection`] without re-parsing
//! and without allocating (except for multi-range slices such as `x[0:2,4]`).
//!
//! Semantics for repeated fields follow Wireshark 4: `==`, `<`…, `contains`, `matches` and
//! `in` hold when *some* occurrence satisfies them; `!=` holds when the field is present and
//! *no* occurrence is equal (`!(a == b)` restricted to present fields); `~=` / `!==` when
//! some occurrence differs; `===` when every occurrence is equal. A comparison with an
//! absent field is false, whatever the operator.

mod eval;
pub mod lexer;
mod parser;

use crate::model::Dissection;
use codec::fields::{self, FieldDef, FieldType};
use std::fmt;

/// A compiled display filter.
#[derive(Debug, Clone)]
pub struct Filter {
    expr: String,
    root: parser::Node,
}

impl Filter {
    /// Compiles `expr` against the field registry.
    pub fn compile(expr: &str) -> Result<Filter, FilterError> {
        Self::compile_with(expr, &[])
    }

    /// Compiles `expr` against the field registry plus `extra` definitions (consulted for
    /// names the registry lacks; for tests and plug-ins).
    pub fn compile_with(expr: &str, extra: &'static [FieldDef]) -> Result<Filter, FilterError> {
        let names = Names { extra };
        let root = parser::parse(expr, &names)?;
        Ok(Filter {
            expr: expr.to_owned(),
            root,
        })
    }

    /// True when the dissected frame `d` (whose captured octets are `frame`) passes.
    pub fn matches(&self, d: &Dissection, frame: &[u8]) -> bool {
        eval::eval(&self.root, d, frame)
    }

    /// The expression as written.
    pub fn expr(&self) -> &str {
        &self.expr
    }

    /// The field and protocol names the filter reads (aliases expanded, each once, in order
    /// of appearance): what a dissection must produce for the filter to have a say.
    pub fn field_names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        self.root.field_refs(&mut |f: &FieldRef| {
            for n in f.names {
                if !out.contains(n) {
                    out.push(*n);
                }
            }
        });
        out
    }
}

/// A filter that does not compile: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// The expression.
    pub expr: String,
    /// Byte offset of the offending token in `expr`.
    pub pos: usize,
    /// Its length in bytes (at least 1 for the caret line).
    pub len: usize,
    /// What is wrong.
    pub message: String,
    /// For an unknown field: the closest registered name.
    pub suggestion: Option<&'static str>,
}

impl FilterError {
    pub(crate) fn new(expr: &str, pos: usize, len: usize, message: impl Into<String>) -> Self {
        Self {
            expr: expr.to_owned(),
            pos,
            len,
            message: message.into(),
            suggestion: None,
        }
    }
}

impl fmt::Display for FilterError {
    /// `message`, then the expression, then a caret line under the offending token:
    ///
    /// ```text
    /// "ip.srcc" is neither a field nor a protocol name; did you mean "ip.src"?
    ///   ip.srcc == 10.0.0.1
    ///   ^~~~~~~
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.message)?;
        writeln!(f, "  {}", self.expr)?;
        let lead: String = self
            .expr
            .get(..self.pos)
            .unwrap_or(&self.expr)
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = self
            .expr
            .get(self.pos..self.pos + self.len)
            .map_or(1, |s| s.chars().count())
            .max(1);
        write!(f, "  {lead}^{}", "~".repeat(width - 1))
    }
}

impl std::error::Error for FilterError {}

/// Filter names that stand for several fields (Wireshark's `ip.addr` is "source or
/// destination"): the filter looks for any of them.
const ALIASES: &[(&str, &[&str])] = &[
    ("ip.addr", &["ip.src", "ip.dst"]),
    ("ipv6.addr", &["ipv6.src", "ipv6.dst"]),
    ("eth.addr", &["eth.src", "eth.dst"]),
    ("udp.port", &["udp.srcport", "udp.dstport"]),
    ("tcp.port", &["tcp.srcport", "tcp.dstport"]),
    ("wlan.addr", &["wlan.sa", "wlan.da"]),
];

/// A resolved name: the field names to look for and their type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldRef {
    /// The name as written.
    pub written: &'static str,
    /// Names of the fields (one, or the members of an alias).
    pub names: &'static [&'static str],
    /// Their type.
    pub ty: FieldType,
    /// Wireshark's layer operator `name#n`: only occurrences in the n-th layer (1-based) of
    /// the field's protocol.
    pub layer: Option<u32>,
}

/// The names a filter may use: the registry, the aliases, then `extra`.
pub(crate) struct Names {
    extra: &'static [FieldDef],
}

impl Names {
    pub(crate) fn resolve(&self, name: &str) -> Option<FieldRef> {
        if let Some(def) = fields::lookup(name) {
            return Some(FieldRef {
                written: def.name,
                names: std::slice::from_ref(&def.name),
                ty: def.ty,
                layer: None,
            });
        }
        for (alias, members) in ALIASES {
            if *alias == name {
                let first = members.first().and_then(|m| fields::lookup(m))?;
                return Some(FieldRef {
                    written: alias,
                    names: members,
                    ty: first.ty,
                    layer: None,
                });
            }
        }
        self.extra.iter().find(|d| d.name == name).map(|def| FieldRef {
            written: def.name,
            names: std::slice::from_ref(&def.name),
            ty: def.ty,
            layer: None,
        })
    }

    fn candidates(&self) -> impl Iterator<Item = &'static str> + '_ {
        fields::all()
            .map(|d| d.name)
            .chain(
                ALIASES
                    .iter()
                    .filter(|(_, m)| m.first().is_some_and(|m| fields::lookup(m).is_some()))
                    .map(|(a, _)| *a),
            )
            .chain(self.extra.iter().map(|d| d.name))
    }

    /// The registered name closest to `name`, if any is close enough to be a likely typo.
    pub(crate) fn suggest(&self, name: &str) -> Option<&'static str> {
        let lower = name.to_ascii_lowercase();
        if let Some(c) = self.candidates().find(|c| c.to_ascii_lowercase() == lower) {
            return Some(c);
        }
        let limit = (name.chars().count() / 4).clamp(1, 3);
        let mut best: Option<(usize, &'static str)> = None;
        for c in self.candidates() {
            if c.len().abs_diff(name.len()) > limit {
                continue;
            }
            let d = osa_distance(&lower, &c.to_ascii_lowercase());
            if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, c));
            }
        }
        best.map(|(_, c)| c)
    }
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut m = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        m[i * w] = i;
    }
    for (j, cell) in m.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (m[(i - 1) * w + j] + 1)
                .min(m[i * w + j - 1] + 1)
                .min(m[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(m[(i - 2) * w + j - 2] + 1);
            }
            m[i * w + j] = v;
        }
    }
    m[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(osa_distance("ip.srcc", "ip.src"), 1);
        assert_eq!(osa_distance("ip.scr", "ip.src"), 1);
        assert_eq!(osa_distance("abc", "abc"), 0);
        assert_eq!(osa_distance("", "ab"), 2);
    }

    #[test]
    fn caret_under_the_token() {
        let e = FilterError::new("ip.ttl == 1x", 10, 2, "\"1x\" is not a valid number");
        assert_eq!(
            e.to_string(),
            "\"1x\" is not a valid number\n  ip.ttl == 1x\n            ^~"
        );
    }
}
