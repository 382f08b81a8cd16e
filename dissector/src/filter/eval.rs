//! Evaluation of a compiled filter over one dissection. Values are visited in place
//! (callbacks over `Dissection::fields`), so nothing is collected or allocated, except the
//! concatenation of a multi-range slice.

use super::lexer::CmpOp;
use super::parser::{Lit, Node, Operand, Rhs, SetItem, Slice, SliceEnd};
use super::FieldRef;
use crate::model::{Dissection, Value};
use codec::fields::FieldType;
use core::cmp::Ordering;
use core::ops::Range;

/// One value of a field, borrowed from the dissection or the frame.
#[derive(Debug, Clone, Copy)]
enum V<'a> {
    Int(i128),
    Ipv4(u32),
    Ipv6(u128),
    Mac([u8; 6]),
    Bytes(&'a [u8]),
    Text(&'a [u8]),
    /// A label (`Value::None`): present, but nothing to compare.
    NoValue,
}

/// Whether any value was seen, and whether the visitor asked to stop.
#[derive(Debug, Clone, Copy)]
struct Visit {
    seen: bool,
    stopped: bool,
}

type Visitor<'f> = dyn FnMut(V<'_>) -> bool + 'f;

pub(crate) fn eval(n: &Node, d: &Dissection, frame: &[u8]) -> bool {
    match n {
        Node::And(v) => v.iter().all(|n| eval(n, d, frame)),
        Node::Or(v) => v.iter().any(|n| eval(n, d, frame)),
        Node::Xor(v) => v.iter().fold(false, |acc, n| acc != eval(n, d, frame)),
        Node::Not(a) => !eval(a, d, frame),
        Node::Exists(f) => visit_field(f, d, frame, &mut |_| true).seen,
        Node::NonZero(op) => any(op, d, frame, &mut |v| matches!(v, V::Int(x) if x != 0)),
        Node::Cmp(lhs, op, rhs) => compare(lhs, *op, rhs, d, frame),
        Node::Contains(lhs, rhs) => any(lhs, d, frame, &mut |a| match rhs {
            Rhs::Lit(l) => contains(a, lit_bytes(l)),
            Rhs::Operand(r) => {
                let mut buf = [0u8; 16];
                match bytes_of(a, &mut buf) {
                    Some(hay) => any(r, d, frame, &mut |b| {
                        let mut nb = [0u8; 16];
                        bytes_of(b, &mut nb).is_some_and(|needle| find(hay, needle))
                    }),
                    None => false,
                }
            }
        }),
        Node::Matches(lhs, re) => any(lhs, d, frame, &mut |a| {
            let mut buf = [0u8; 16];
            bytes_of(a, &mut buf).is_some_and(|h| re.is_match(h))
        }),
        Node::In(lhs, set) => any(lhs, d, frame, &mut |a| {
            set.iter().any(|item| match item {
                SetItem::One(l) => cmp_lit(a, l) == Some(Ordering::Equal),
                SetItem::Range(lo, hi) => {
                    cmp_lit(a, lo).is_some_and(|o| o != Ordering::Less)
                        && cmp_lit(a, hi).is_some_and(|o| o != Ordering::Greater)
                }
            })
        }),
    }
}

fn compare(lhs: &Operand, op: CmpOp, rhs: &Rhs, d: &Dissection, frame: &[u8]) -> bool {
    // Per left value `a`: does some right value stand in relation `rel` to it?
    let exists_b = |a: V<'_>, rel: &dyn Fn(Option<Ordering>) -> bool| -> bool {
        match rhs {
            Rhs::Lit(l) => rel(cmp_lit(a, l)),
            Rhs::Operand(r) => any(r, d, frame, &mut |b| rel(cmp_vv(a, b))),
        }
    };
    let is_eq = |o: Option<Ordering>| o == Some(Ordering::Equal);
    let rhs_present = match rhs {
        Rhs::Lit(_) => true,
        Rhs::Operand(r) => visit(r, d, frame, &mut |_| true).seen,
    };
    match op {
        CmpOp::Eq => any(lhs, d, frame, &mut |a| exists_b(a, &is_eq)),
        CmpOp::AnyNe => any(lhs, d, frame, &mut |a| exists_b(a, &|o| !is_eq(o))),
        CmpOp::AllNe => rhs_present && all(lhs, d, frame, &mut |a| !exists_b(a, &is_eq)),
        CmpOp::AllEq => rhs_present && all(lhs, d, frame, &mut |a| !exists_b(a, &|o| !is_eq(o))),
        CmpOp::Lt => any(lhs, d, frame, &mut |a| exists_b(a, &|o| o == Some(Ordering::Less))),
        CmpOp::Le => any(lhs, d, frame, &mut |a| {
            exists_b(a, &|o| matches!(o, Some(Ordering::Less | Ordering::Equal)))
        }),
        CmpOp::Gt => any(lhs, d, frame, &mut |a| exists_b(a, &|o| o == Some(Ordering::Greater))),
        CmpOp::Ge => any(lhs, d, frame, &mut |a| {
            exists_b(a, &|o| matches!(o, Some(Ordering::Greater | Ordering::Equal)))
        }),
    }
}

/// Some value satisfies `p`.
fn any(op: &Operand, d: &Dissection, frame: &[u8], p: &mut Visitor<'_>) -> bool {
    visit(op, d, frame, p).stopped
}

/// There is a value, and every value satisfies `p`.
fn all(op: &Operand, d: &Dissection, frame: &[u8], p: &mut Visitor<'_>) -> bool {
    let r = visit(op, d, frame, &mut |v| !p(v));
    r.seen && !r.stopped
}

fn visit(op: &Operand, d: &Dissection, frame: &[u8], f: &mut Visitor<'_>) -> Visit {
    match op {
        Operand::Field {
            f: fr,
            slice: None,
            mask: None,
        } => visit_field(fr, d, frame, f),
        Operand::Field {
            f: fr,
            slice: None,
            mask: Some(m),
        } => {
            let mut seen = false;
            let r = visit_field(fr, d, frame, &mut |v| match v {
                V::Int(x) => {
                    seen = true;
                    f(V::Int(x & i128::from(*m)))
                }
                _ => false,
            });
            Visit {
                seen,
                stopped: r.stopped,
            }
        }
        Operand::Field {
            f: fr,
            slice: Some(ranges),
            ..
        } => {
            let mut seen = false;
            let r = visit_field(fr, d, frame, &mut |v| {
                let mut buf = [0u8; 16];
                let Some(b) = bytes_of(v, &mut buf) else { return false };
                match ranges.as_slice() {
                    [one] => match slice_range(b.len(), one).and_then(|r| b.get(r)) {
                        Some(s) => {
                            seen = true;
                            f(V::Bytes(s))
                        }
                        None => false,
                    },
                    many => {
                        let mut cat = Vec::new();
                        for s in many {
                            match slice_range(b.len(), s).and_then(|r| b.get(r)) {
                                Some(part) => cat.extend_from_slice(part),
                                None => return false,
                            }
                        }
                        seen = true;
                        f(V::Bytes(&cat))
                    }
                }
            });
            Visit {
                seen,
                stopped: r.stopped,
            }
        }
        Operand::Len(inner) => {
            let mut seen = false;
            let mut emit = |n: usize, f: &mut Visitor<'_>| {
                seen = true;
                f(V::Int(n as i128))
            };
            let stopped = match &**inner {
                // Length of each occurrence in octets, integers included (`len(ip.ttl) == 1`).
                Operand::Field {
                    f: fr,
                    slice: None,
                    mask: None,
                } if fr.layer.is_none() => visit_lengths(fr, d, &mut |n| emit(n, f)),
                other => {
                    visit(other, d, frame, &mut |v| {
                        let mut buf = [0u8; 16];
                        bytes_of(v, &mut buf).is_some_and(|b| emit(b.len(), f))
                    })
                    .stopped
                }
            };
            Visit { seen, stopped }
        }
        Operand::Count(fr) => {
            let mut n: i128 = 0;
            visit_field(fr, d, frame, &mut |_| {
                n += 1;
                false
            });
            // Like Wireshark, count() of an absent field yields no value at all.
            if n == 0 {
                return Visit {
                    seen: false,
                    stopped: false,
                };
            }
            Visit {
                seen: true,
                stopped: f(V::Int(n)),
            }
        }
    }
}

/// Calls `f` with the length in octets of every occurrence of `fr`; true if `f` stopped.
fn visit_lengths(fr: &FieldRef, d: &Dissection, f: &mut dyn FnMut(usize) -> bool) -> bool {
    if fr.ty == FieldType::Protocol {
        let mut any_layer = false;
        for l in d.layers.iter().filter(|l| fr.names.contains(&l.proto)) {
            any_layer = true;
            if f(l.range.end.saturating_sub(l.range.start) as usize) {
                return true;
            }
        }
        if any_layer {
            return false;
        }
    }
    for fl in d.fields.iter().filter(|fl| fr.names.contains(&fl.name)) {
        let n = match &fl.value {
            Value::Empty => continue,
            Value::Str(s) => s.len(),
            Value::Owned(s) => s.len(),
            _ => fl.range.end.saturating_sub(fl.range.start) as usize,
        };
        if f(n) {
            return true;
        }
    }
    false
}

/// Calls `f` with every occurrence of the field (or protocol) `fr`, in packet order.
fn visit_field(fr: &FieldRef, d: &Dissection, frame: &[u8], f: &mut Visitor<'_>) -> Visit {
    let mut seen = false;
    if fr.ty == FieldType::Protocol {
        for name in fr.names {
            for (i, l) in d.layers.iter().filter(|l| l.proto == *name).enumerate() {
                if fr.layer.is_some_and(|n| n as usize != i + 1) {
                    continue;
                }
                seen = true;
                let b = d
                    .buffer(frame, l.buffer)
                    .get(l.range.start as usize..l.range.end as usize)
                    .unwrap_or(&[]);
                if f(V::Bytes(b)) {
                    return Visit { seen, stopped: true };
                }
            }
            // "frame" is every packet, whether or not a layer says so.
            if !seen && *name == "frame" {
                seen = true;
                if f(V::Bytes(frame)) {
                    return Visit { seen, stopped: true };
                }
            }
        }
        if seen {
            return Visit { seen, stopped: false };
        }
    }
    if let Some(want) = fr.layer {
        // `name#n`: walk layer by layer, numbering the layers of each field's protocol.
        for (li, l) in d.layers.iter().enumerate() {
            let fields = d
                .fields
                .get(l.fields.start as usize..l.fields.end as usize)
                .unwrap_or(&[]);
            for fl in fields.iter().filter(|fl| fr.names.contains(&fl.name)) {
                let proto = fl.name.split('.').next().unwrap_or("");
                let nth = d.layers.iter().take(li + 1).filter(|x| x.proto == proto).count();
                if nth != want as usize {
                    continue;
                }
                let Some(v) = value_of(d, frame, fl) else { continue };
                seen = true;
                if f(v) {
                    return Visit { seen, stopped: true };
                }
            }
        }
        return Visit { seen, stopped: false };
    }
    for fl in &d.fields {
        if !fr.names.contains(&fl.name) {
            continue;
        }
        let Some(v) = value_of(d, frame, fl) else { continue };
        seen = true;
        if f(v) {
            return Visit { seen, stopped: true };
        }
    }
    Visit { seen, stopped: false }
}

/// A field's value; `None` for an empty-list marker.
fn value_of<'a>(d: &'a Dissection, frame: &'a [u8], fl: &'a crate::model::Field) -> Option<V<'a>> {
    Some(match &fl.value {
        Value::Empty => return None,
        Value::None => V::NoValue,
        Value::U64(x) => V::Int(i128::from(*x)),
        Value::I64(x) => V::Int(i128::from(*x)),
        Value::Bool(b) => V::Int(i128::from(*b)),
        Value::Ipv4(a) => V::Ipv4(u32::from_be_bytes(*a)),
        Value::Ipv6(a) => V::Ipv6(u128::from_be_bytes(*a)),
        Value::Mac(m) => V::Mac(*m),
        Value::Bytes => V::Bytes(d.field_bytes(frame, fl)),
        Value::Text => V::Text(d.field_bytes(frame, fl)),
        Value::Str(s) => V::Text(s.as_bytes()),
        Value::Owned(s) => V::Text(s.as_bytes()),
    })
}

/// The octets of a value (addresses in network order); `None` for integers and labels.
fn bytes_of<'s>(v: V<'s>, buf: &'s mut [u8; 16]) -> Option<&'s [u8]> {
    match v {
        V::Bytes(b) | V::Text(b) => Some(b),
        V::Mac(m) => {
            buf[..6].copy_from_slice(&m);
            Some(&buf[..6])
        }
        V::Ipv4(a) => {
            buf[..4].copy_from_slice(&a.to_be_bytes());
            Some(&buf[..4])
        }
        V::Ipv6(a) => {
            *buf = a.to_be_bytes();
            Some(&buf[..])
        }
        V::Int(_) | V::NoValue => None,
    }
}

fn lit_bytes(l: &Lit) -> &[u8] {
    match l {
        Lit::Bytes(b) | Lit::Str(b) => b,
        Lit::Any { text, .. } => text,
        _ => &[],
    }
}

fn contains(v: V<'_>, needle: &[u8]) -> bool {
    let mut buf = [0u8; 16];
    bytes_of(v, &mut buf).is_some_and(|h| find(h, needle))
}

fn find(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// Wireshark's FT_BYTES order: shorter first, then octet by octet.
fn bytes_cmp(a: &[u8], b: &[u8]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Orders a value against a literal; `None` when they cannot be compared. A network literal
/// (`10.0.0.0/8`) is `Equal` to every address inside it.
fn cmp_lit(v: V<'_>, l: &Lit) -> Option<Ordering> {
    Some(match (v, l) {
        (V::Int(a), Lit::Int(b)) => a.cmp(b),
        (V::Int(a), Lit::Any { int: Some(b), .. }) => a.cmp(b),
        (V::Ipv4(a), Lit::Ipv4 { addr, mask }) => (a & mask).cmp(addr),
        (V::Ipv6(a), Lit::Ipv6 { addr, mask }) => (a & mask).cmp(addr),
        (V::Mac(m), Lit::Bytes(b) | Lit::Str(b)) => bytes_cmp(&m, b),
        (V::Bytes(x), Lit::Bytes(b)) => bytes_cmp(x, b),
        (V::Bytes(x) | V::Text(x), Lit::Str(b)) => x.cmp(b.as_slice()),
        (V::Text(x), Lit::Bytes(b)) => x.cmp(b.as_slice()),
        (V::Bytes(x) | V::Text(x), Lit::Any { text, .. }) => x.cmp(text.as_slice()),
        _ => return None,
    })
}

/// Orders two field values (`ip.src == ip.dst`).
fn cmp_vv(a: V<'_>, b: V<'_>) -> Option<Ordering> {
    match (a, b) {
        (V::Int(x), V::Int(y)) => Some(x.cmp(&y)),
        (V::Ipv4(x), V::Ipv4(y)) => Some(x.cmp(&y)),
        (V::Ipv6(x), V::Ipv6(y)) => Some(x.cmp(&y)),
        (V::Text(x), V::Text(y)) => Some(x.cmp(y)),
        (V::NoValue, _) | (_, V::NoValue) | (V::Int(_), _) | (_, V::Int(_)) => None,
        (a, b) => {
            let (mut ba, mut bb) = ([0u8; 16], [0u8; 16]);
            Some(bytes_cmp(bytes_of(a, &mut ba)?, bytes_of(b, &mut bb)?))
        }
    }
}

/// The octets a slice selects from `n` octets; `None` when it reaches outside them.
fn slice_range(n: usize, s: &Slice) -> Option<Range<usize>> {
    let n = i64::try_from(n).ok()?;
    let start = if s.start < 0 { n.checked_add(s.start)? } else { s.start };
    if !(0..=n).contains(&start) {
        return None;
    }
    let end = match s.end {
        SliceEnd::Len(l) => start.checked_add(i64::try_from(l).ok()?)?,
        SliceEnd::Inclusive(j) => (if j < 0 { n.checked_add(j)? } else { j }).checked_add(1)?,
        SliceEnd::ToEnd => n,
    };
    if end < start || end > n {
        return None;
    }
    Some(usize::try_from(start).ok()?..usize::try_from(end).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_ranges_like_wireshark_drange() {
        let s = |start, end| Slice { start, end };
        assert_eq!(slice_range(6, &s(0, SliceEnd::Len(3))), Some(0..3));
        assert_eq!(slice_range(6, &s(1, SliceEnd::Inclusive(3))), Some(1..4));
        assert_eq!(slice_range(6, &s(-1, SliceEnd::Len(1))), Some(5..6));
        assert_eq!(slice_range(6, &s(2, SliceEnd::ToEnd)), Some(2..6));
        assert_eq!(slice_range(6, &s(4, SliceEnd::Len(3))), None);
        assert_eq!(slice_range(6, &s(-7, SliceEnd::Len(1))), None);
    }

    #[test]
    fn byte_order_is_length_first() {
        assert_eq!(bytes_cmp(&[0xff], &[0, 0]), Ordering::Less);
        assert_eq!(bytes_cmp(&[1, 2], &[1, 3]), Ordering::Less);
    }
}
