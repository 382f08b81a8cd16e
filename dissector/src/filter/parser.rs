//! Recursive-descent parser: tokens → a compiled tree whose literals are already converted
//! to the type of the field they meet.
//!
//! ```text
//! expr     = or
//! or       = xor { ("||" | "or") xor }
//! xor      = and { ("^^" | "xor") and }
//! and      = unary { ("&&" | "and") unary }
//! unary    = ("!" | "not") unary | "(" expr ")" | relation
//! relation = term [ cmp term | "contains" term | ("matches" | "~") string
//!                 | ["not"] "in" set ]
//! term     = field [ "[" slice { "," slice } "]" ] [ "&" integer ]
//!          | ("len" | "count") "(" field ")" | literal
//! set      = "{" item { [","] item } "}"        item = literal [ ".." literal ]
//! slice    = i ":" n | i "-" j | i | ":" n | i ":"   (negative i counts from the end)
//! ```

use super::lexer::{tokenize, CmpOp, Tok, Token};
use super::{FieldRef, FilterError, Names};
use codec::fields::FieldType;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A compiled expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// All hold (`&&` chains are flat).
    And(Vec<Node>),
    /// One holds.
    Or(Vec<Node>),
    /// An odd number hold.
    Xor(Vec<Node>),
    Not(Box<Node>),
    /// The field or protocol is present.
    Exists(FieldRef),
    /// A masked integer is non-zero (`tcp.flags & 0x02`).
    NonZero(Operand),
    Cmp(Operand, CmpOp, Rhs),
    Contains(Operand, Rhs),
    Matches(Operand, regex::bytes::Regex),
    In(Operand, Vec<SetItem>),
}

impl Node {
    /// Calls `f` with every field reference in the tree.
    pub(crate) fn field_refs(&self, f: &mut dyn FnMut(&FieldRef)) {
        match self {
            Node::And(v) | Node::Or(v) | Node::Xor(v) => {
                for n in v {
                    n.field_refs(f);
                }
            }
            Node::Not(a) => a.field_refs(f),
            Node::Exists(r) => f(r),
            Node::NonZero(o) | Node::Matches(o, _) | Node::In(o, _) => o.field_refs(f),
            Node::Cmp(o, _, rhs) | Node::Contains(o, rhs) => {
                o.field_refs(f);
                if let Rhs::Operand(r) = rhs {
                    r.field_refs(f);
                }
            }
        }
    }
}

/// Something that yields values: a field (maybe sliced or masked) or a function of one.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Field {
        f: FieldRef,
        slice: Option<Vec<Slice>>,
        mask: Option<u64>,
    },
    /// `len(x)`: octets of each occurrence.
    Len(Box<Operand>),
    /// `count(x)`: number of occurrences.
    Count(FieldRef),
}

/// The right side of a comparison.
#[derive(Debug, Clone)]
pub(crate) enum Rhs {
    Lit(Lit),
    Operand(Operand),
}

/// One member of a set.
#[derive(Debug, Clone)]
pub(crate) enum SetItem {
    One(Lit),
    Range(Lit, Lit),
}

/// A literal converted to the type it is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lit {
    Int(i128),
    /// Address and netmask (all ones without a prefix).
    Ipv4 {
        addr: u32,
        mask: u32,
    },
    Ipv6 {
        addr: u128,
        mask: u128,
    },
    /// Octets, compared length first then lexicographically (Wireshark's FT_BYTES order).
    Bytes(Vec<u8>),
    /// Text, compared lexicographically.
    Str(Vec<u8>),
    /// For fields of type `Any`: the text, and its value if it reads as an integer.
    Any {
        text: Vec<u8>,
        int: Option<i128>,
    },
}

/// One byte range of a slice, Wireshark `drange` semantics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slice {
    /// First octet; negative counts from the end.
    pub start: i64,
    pub end: SliceEnd,
}

/// Where a slice ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SliceEnd {
    /// This many octets (`[i:n]`, `[i]` is one).
    Len(u64),
    /// Up to and including this offset (`[i-j]`).
    Inclusive(i64),
    /// To the end (`[i:]`).
    ToEnd,
}

/// What kind of values an operand yields, which decides how literals are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Bool,
    Ipv4,
    Ipv6,
    Mac,
    Bytes,
    Text,
    Any,
    Label,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Int => "an integer",
            Kind::Bool => "a boolean",
            Kind::Ipv4 => "an IPv4 address",
            Kind::Ipv6 => "an IPv6 address",
            Kind::Mac => "a MAC address",
            Kind::Bytes => "a byte string",
            Kind::Text => "a string",
            Kind::Any => "a value",
            Kind::Label => "a label",
        }
    }
}

fn field_kind(ty: FieldType) -> Kind {
    match ty {
        FieldType::Protocol | FieldType::Bytes => Kind::Bytes,
        FieldType::None => Kind::Label,
        FieldType::Uint | FieldType::Int => Kind::Int,
        FieldType::Bool => Kind::Bool,
        FieldType::Ipv4 => Kind::Ipv4,
        FieldType::Ipv6 => Kind::Ipv6,
        FieldType::Mac => Kind::Mac,
        FieldType::Text => Kind::Text,
        FieldType::Any => Kind::Any,
    }
}

impl Operand {
    fn field_refs(&self, f: &mut dyn FnMut(&FieldRef)) {
        match self {
            Operand::Field { f: r, .. } | Operand::Count(r) => f(r),
            Operand::Len(inner) => inner.field_refs(f),
        }
    }

    pub(crate) fn kind(&self) -> Kind {
        match self {
            Operand::Field { slice: Some(_), .. } => Kind::Bytes,
            Operand::Field { mask: Some(_), .. } => Kind::Int,
            Operand::Field { f, .. } => field_kind(f.ty),
            Operand::Len(_) | Operand::Count(_) => Kind::Int,
        }
    }
}

/// A term before it meets its partner: a field-like operand or a literal still unread.
enum Term<'a> {
    Op(Operand, usize, usize),
    Raw(Raw<'a>),
}

/// An unconverted literal with its span.
#[derive(Clone)]
struct Raw<'a> {
    val: RawVal<'a>,
    pos: usize,
    len: usize,
}

#[derive(Clone)]
enum RawVal<'a> {
    Word(&'a str),
    Str(Vec<u8>),
    Char(u8),
}

/// Deepest nesting of `!` and parentheses a filter may have.
const MAX_NESTING: usize = 64;

struct Parser<'a, 'n> {
    depth: usize,
    src: &'a str,
    toks: Vec<Token<'a>>,
    i: usize,
    names: &'n Names,
}

/// Parses and compiles `src`.
pub(crate) fn parse(src: &str, names: &Names) -> Result<Node, FilterError> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        depth: 0,
        src,
        toks,
        i: 0,
        names,
    };
    if p.peek().tok == Tok::Eof {
        return Err(p.err_at(0, 0, "empty filter expression"));
    }
    let n = p.or()?;
    let t = p.peek();
    if t.tok != Tok::Eof {
        return Err(p.unexpected_here());
    }
    Ok(n)
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> &Token<'a> {
        // The token list always ends with Eof and `i` never passes it.
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> &Tok<'a> {
        self.toks.get(self.i + 1).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn bump(&mut self) -> Token<'a> {
        let t = self.peek().clone();
        if t.tok != Tok::Eof {
            self.i += 1;
        }
        t
    }

    fn err_at(&self, pos: usize, len: usize, msg: impl Into<String>) -> FilterError {
        FilterError::new(self.src, pos, len, msg)
    }

    fn unexpected_here(&self) -> FilterError {
        let t = self.peek();
        if t.tok == Tok::Eof {
            self.err_at(t.pos, 0, "unexpected end of filter expression")
        } else {
            let text = self.src.get(t.pos..t.pos + t.len).unwrap_or("");
            self.err_at(t.pos, t.len, format!("\"{text}\" was unexpected in this context"))
        }
    }

    fn expect(&mut self, tok: Tok<'static>) -> Result<Token<'a>, FilterError> {
        if self.peek().tok == tok {
            Ok(self.bump())
        } else {
            Err(self.unexpected_here())
        }
    }

    fn or(&mut self) -> Result<Node, FilterError> {
        let mut v = vec![self.xor()?];
        while self.peek().tok == Tok::Or {
            self.bump();
            v.push(self.xor()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Node::Or(v) })
    }

    fn xor(&mut self) -> Result<Node, FilterError> {
        let mut v = vec![self.and()?];
        while self.peek().tok == Tok::Xor {
            self.bump();
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Node::Xor(v) })
    }

    fn and(&mut self) -> Result<Node, FilterError> {
        let mut v = vec![self.unary()?];
        while self.peek().tok == Tok::And {
            self.bump();
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { Node::And(v) })
    }

    fn unary(&mut self) -> Result<Node, FilterError> {
        // Chains of && / || are flat lists, so only "!" and parentheses nest: bounding them
        // bounds the recursion of parsing, evaluation and drop.
        let t = self.peek().clone();
        if matches!(t.tok, Tok::Not | Tok::LParen) {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(self.err_at(t.pos, t.len, format!("nesting deeper than {MAX_NESTING} levels")));
            }
        }
        let n = match t.tok {
            Tok::Not => {
                self.bump();
                Node::Not(Box::new(self.unary()?))
            }
            Tok::LParen => {
                self.bump();
                let n = self.or()?;
                self.expect(Tok::RParen)?;
                n
            }
            _ => return self.relation(),
        };
        self.depth -= 1;
        Ok(n)
    }

    fn relation(&mut self) -> Result<Node, FilterError> {
        let lhs = self.term()?;
        let op_tok = self.peek().clone();
        match op_tok.tok {
            Tok::Cmp(op) => {
                self.bump();
                let rhs = self.term()?;
                let (lhs, op, rhs) = match (lhs, rhs) {
                    (Term::Op(l, ..), r) => (l, op, r),
                    (Term::Raw(raw), Term::Op(r, p, n)) => (r, op.mirrored(), Term::Raw(Raw { pos: p, len: n, ..raw })),
                    (Term::Raw(raw), Term::Raw(_)) => return Err(self.not_a_field(&raw)),
                };
                let rhs = match rhs {
                    Term::Op(r, pos, len) => {
                        if !comparable(lhs.kind(), r.kind()) {
                            return Err(self.err_at(
                                pos,
                                len,
                                format!("cannot compare {} with {}", lhs.kind().name(), r.kind().name()),
                            ));
                        }
                        Rhs::Operand(r)
                    }
                    Term::Raw(raw) => Rhs::Lit(self.convert(&raw, lhs.kind(), &op_tok)?),
                };
                if lhs.kind() == Kind::Label {
                    return Err(self.err_at(op_tok.pos, op_tok.len, label_msg(&lhs)));
                }
                Ok(Node::Cmp(lhs, op, rhs))
            }
            Tok::Contains => {
                self.bump();
                let lhs = self.lhs_operand(lhs, "contains")?;
                let kind = match lhs.kind() {
                    Kind::Bytes | Kind::Mac => Kind::Bytes,
                    Kind::Text | Kind::Any => Kind::Text,
                    k => {
                        return Err(self.err_at(
                            op_tok.pos,
                            op_tok.len,
                            format!("\"contains\" needs a byte string or a string, not {}", k.name()),
                        ))
                    }
                };
                let rhs = match self.term()? {
                    Term::Raw(raw) => Rhs::Lit(self.convert(&raw, kind, &op_tok)?),
                    Term::Op(r, pos, len) => {
                        if !matches!(r.kind(), Kind::Bytes | Kind::Mac | Kind::Text | Kind::Any) {
                            return Err(self.err_at(pos, len, "\"contains\" needs a byte string or a string"));
                        }
                        Rhs::Operand(r)
                    }
                };
                Ok(Node::Contains(lhs, rhs))
            }
            Tok::Matches => {
                self.bump();
                let lhs = self.lhs_operand(lhs, "matches")?;
                if !matches!(lhs.kind(), Kind::Bytes | Kind::Mac | Kind::Text | Kind::Any) {
                    return Err(self.err_at(
                        op_tok.pos,
                        op_tok.len,
                        format!("\"matches\" needs a string or a byte string, not {}", lhs.kind().name()),
                    ));
                }
                let t = self.bump();
                let Tok::Str(pat) = t.tok else {
                    return Err(self.err_at(t.pos, t.len, "\"matches\" needs a quoted regular expression"));
                };
                let pat = String::from_utf8(pat)
                    .map_err(|_| self.err_at(t.pos, t.len, "the regular expression is not valid UTF-8"))?;
                // Case-insensitive by default, as in Wireshark since 2.6; "(?-i)" turns it off.
                let re = regex::bytes::RegexBuilder::new(&pat)
                    .case_insensitive(true)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| {
                        // The regex crate's syntax errors span several lines; keep the reason.
                        let text = e.to_string();
                        let why = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
                        let why = why.trim().trim_start_matches("error: ");
                        self.err_at(t.pos, t.len, format!("invalid regular expression: {why}"))
                    })?;
                Ok(Node::Matches(lhs, re))
            }
            Tok::In => {
                self.bump();
                let lhs = self.lhs_operand(lhs, "in")?;
                let set = self.set(&lhs, &op_tok)?;
                Ok(Node::In(lhs, set))
            }
            Tok::Not if *self.peek2() == Tok::In => {
                self.bump();
                self.bump();
                let lhs = self.lhs_operand(lhs, "not in")?;
                let set = self.set(&lhs, &op_tok)?;
                Ok(Node::Not(Box::new(Node::In(lhs, set))))
            }
            _ => match lhs {
                Term::Op(
                    Operand::Field {
                        f,
                        slice: None,
                        mask: None,
                    },
                    ..,
                ) => Ok(Node::Exists(f)),
                Term::Op(op @ Operand::Field { mask: Some(_), .. }, ..) => Ok(Node::NonZero(op)),
                Term::Op(_, pos, len) => Err(self.err_at(pos, len, "a slice or function needs a comparison")),
                Term::Raw(raw) => Err(self.not_a_field(&raw)),
            },
        }
    }

    fn lhs_operand(&self, t: Term<'a>, what: &str) -> Result<Operand, FilterError> {
        match t {
            Term::Op(o, ..) => Ok(o),
            Term::Raw(raw) => {
                let e = self.not_a_field(&raw);
                if e.suggestion.is_some() || looks_like_name(&raw) {
                    Err(e)
                } else {
                    Err(self.err_at(
                        raw.pos,
                        raw.len,
                        format!("left side of \"{what}\" must be a field or a function"),
                    ))
                }
            }
        }
    }

    /// The error for a word that should have been a field.
    fn not_a_field(&self, raw: &Raw<'a>) -> FilterError {
        let text = match &raw.val {
            RawVal::Word(w) => (*w).to_owned(),
            RawVal::Str(s) => format!("\"{}\"", String::from_utf8_lossy(s)),
            RawVal::Char(c) => format!("'{}'", char::from(*c)),
        };
        if !looks_like_name(raw) {
            return self.err_at(
                raw.pos,
                raw.len,
                format!("{text} is a value: a comparison needs a field on one side"),
            );
        }
        let mut e = self.err_at(
            raw.pos,
            raw.len,
            format!("\"{text}\" is neither a field nor a protocol name"),
        );
        if let Some(s) = self.names.suggest(&text) {
            e.message.push_str(&format!("; did you mean \"{s}\"?"));
            e.suggestion = Some(s);
        }
        e
    }

    fn set(&mut self, lhs: &Operand, op: &Token<'a>) -> Result<Vec<SetItem>, FilterError> {
        let kind = lhs.kind();
        if kind == Kind::Label {
            return Err(self.err_at(op.pos, op.len, label_msg(lhs)));
        }
        self.expect(Tok::LBrace)?;
        let mut items = Vec::new();
        loop {
            if self.peek().tok == Tok::RBrace && !items.is_empty() {
                self.bump();
                return Ok(items);
            }
            let lo = self.literal(kind, op)?;
            if self.peek().tok == Tok::DotDot {
                self.bump();
                let hi = self.literal(kind, op)?;
                items.push(SetItem::Range(lo, hi));
            } else {
                items.push(SetItem::One(lo));
            }
            // Wireshark 4 separates members with commas; whitespace alone is accepted too.
            if self.peek().tok == Tok::Comma {
                self.bump();
            }
        }
    }

    /// A literal token (set member), converted to `kind`.
    fn literal(&mut self, kind: Kind, op: &Token<'a>) -> Result<Lit, FilterError> {
        let t = self.peek().clone();
        let val = match t.tok {
            Tok::Word(w) => RawVal::Word(w),
            Tok::Str(s) => RawVal::Str(s),
            Tok::Char(c) => RawVal::Char(c),
            _ => return Err(self.unexpected_here()),
        };
        self.bump();
        self.convert(
            &Raw {
                val,
                pos: t.pos,
                len: t.len,
            },
            kind,
            op,
        )
    }

    fn term(&mut self) -> Result<Term<'a>, FilterError> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Word(w) => {
                self.bump();
                if self.peek().tok == Tok::LParen {
                    return self.function(w, &t);
                }
                match self.names.resolve(w) {
                    Some(f) => self.field_term(f, t.pos),
                    None => Ok(Term::Raw(Raw {
                        val: RawVal::Word(w),
                        pos: t.pos,
                        len: t.len,
                    })),
                }
            }
            Tok::Str(s) => {
                self.bump();
                Ok(Term::Raw(Raw {
                    val: RawVal::Str(s),
                    pos: t.pos,
                    len: t.len,
                }))
            }
            Tok::Char(c) => {
                self.bump();
                Ok(Term::Raw(Raw {
                    val: RawVal::Char(c),
                    pos: t.pos,
                    len: t.len,
                }))
            }
            _ => Err(self.unexpected_here()),
        }
    }

    fn function(&mut self, name: &str, at: &Token<'a>) -> Result<Term<'a>, FilterError> {
        if name != "len" && name != "count" {
            return Err(self.err_at(
                at.pos,
                at.len,
                format!("unknown function \"{name}\" (known: len, count)"),
            ));
        }
        self.expect(Tok::LParen)?;
        let arg = self.peek().clone();
        let Tok::Word(w) = arg.tok else {
            return Err(self.err_at(arg.pos, arg.len, format!("{name}() takes a field")));
        };
        self.bump();
        let Some(f) = self.names.resolve(w) else {
            return Err(self.not_a_field(&Raw {
                val: RawVal::Word(w),
                pos: arg.pos,
                len: arg.len,
            }));
        };
        let inner = match self.field_term(f, arg.pos)? {
            Term::Op(o, ..) => o,
            Term::Raw(_) => return Err(self.err_at(arg.pos, arg.len, format!("{name}() takes a field"))),
        };
        let close = self.expect(Tok::RParen)?;
        let (pos, len) = (at.pos, close.pos + 1 - at.pos);
        match name {
            "len" => Ok(Term::Op(Operand::Len(Box::new(inner)), pos, len)),
            _ => match inner {
                Operand::Field {
                    f,
                    slice: None,
                    mask: None,
                } => Ok(Term::Op(Operand::Count(f), pos, len)),
                _ => Err(self.err_at(arg.pos, close.pos - arg.pos, "count() takes a plain field")),
            },
        }
    }

    /// A field name already consumed, then optional slice and mask.
    fn field_term(&mut self, mut f: FieldRef, pos: usize) -> Result<Term<'a>, FilterError> {
        if self.peek().tok == Tok::Hash {
            self.bump();
            let t = self.bump();
            let n = match t.tok {
                Tok::Word(w) => w.parse::<u32>().ok().filter(|n| *n >= 1),
                _ => None,
            };
            f.layer =
                Some(n.ok_or_else(|| self.err_at(t.pos, t.len, "the layer operator # needs a layer number from 1"))?);
        }
        let mut slice = None;
        if self.peek().tok == Tok::LBracket {
            let open = self.bump();
            if !matches!(
                field_kind(f.ty),
                Kind::Bytes | Kind::Mac | Kind::Text | Kind::Ipv4 | Kind::Ipv6 | Kind::Any
            ) {
                return Err(self.err_at(
                    open.pos,
                    1,
                    format!("\"{}\" cannot be sliced (it is {})", f.written, field_kind(f.ty).name()),
                ));
            }
            let mut ranges = Vec::new();
            loop {
                let t = self.bump();
                let Tok::Word(w) = t.tok else {
                    return Err(self.err_at(t.pos, t.len, "expected a byte range such as 0:3, 1-2, 4 or -1"));
                };
                ranges.push(
                    parse_slice(w)
                        .ok_or_else(|| self.err_at(t.pos, t.len, format!("\"{w}\" is not a valid byte range")))?,
                );
                match self.bump() {
                    Token { tok: Tok::Comma, .. } => continue,
                    Token { tok: Tok::RBracket, .. } => break,
                    t => {
                        self.i -= usize::from(t.tok != Tok::Eof);
                        return Err(self.unexpected_here());
                    }
                }
            }
            slice = Some(ranges);
        }
        let mut mask = None;
        if self.peek().tok == Tok::BitAnd {
            let amp = self.bump();
            if slice.is_some() || !matches!(field_kind(f.ty), Kind::Int | Kind::Bool) {
                return Err(self.err_at(amp.pos, 1, "\"&\" needs an integer field"));
            }
            let t = self.bump();
            let v = match t.tok {
                Tok::Word(w) => parse_int(w),
                _ => None,
            };
            mask = Some(
                v.and_then(|v| u64::try_from(v).ok())
                    .ok_or_else(|| self.err_at(t.pos, t.len, "\"&\" needs an unsigned integer mask"))?,
            );
        }
        let end = self.toks.get(self.i.saturating_sub(1)).map_or(pos, |t| t.pos + t.len);
        Ok(Term::Op(
            Operand::Field { f, slice, mask },
            pos,
            end.saturating_sub(pos),
        ))
    }

    /// Reads `raw` as a value of `kind`.
    fn convert(&self, raw: &Raw<'a>, kind: Kind, op: &Token<'a>) -> Result<Lit, FilterError> {
        let bad = |what: &str| {
            let text = self.src.get(raw.pos..raw.pos + raw.len).unwrap_or("");
            self.err_at(raw.pos, raw.len, format!("{text} is not {what}"))
        };
        // An unknown dotted name where a value was expected is most likely a misspelt field.
        let unknown = |e: FilterError| {
            if looks_like_name(raw) && self.names.suggest(word(raw).unwrap_or("")).is_some() {
                self.not_a_field(raw)
            } else {
                e
            }
        };
        let lit = match kind {
            Kind::Label => return Err(self.err_at(op.pos, op.len, "a label can only be tested for presence")),
            Kind::Int => match &raw.val {
                RawVal::Word(w) => Lit::Int(parse_int(w).ok_or_else(|| unknown(bad("a valid number")))?),
                RawVal::Char(c) => Lit::Int(i128::from(*c)),
                RawVal::Str(_) => return Err(bad("a number (remove the quotes)")),
            },
            Kind::Bool => match &raw.val {
                RawVal::Word(w) => Lit::Int(match w.to_ascii_lowercase().as_str() {
                    "true" => 1,
                    "false" => 0,
                    _ => parse_int(w).ok_or_else(|| unknown(bad("a boolean (true, false, 1 or 0)")))?,
                }),
                RawVal::Char(c) => Lit::Int(i128::from(*c)),
                RawVal::Str(_) => return Err(bad("a boolean (remove the quotes)")),
            },
            Kind::Ipv4 => {
                let text = text_of(raw).ok_or_else(|| bad("an IPv4 address"))?;
                let (a, m) =
                    parse_ipv4_cidr(&text).ok_or_else(|| unknown(bad("an IPv4 address or a.b.c.d/n network")))?;
                Lit::Ipv4 { addr: a, mask: m }
            }
            Kind::Ipv6 => {
                let text = text_of(raw).ok_or_else(|| bad("an IPv6 address"))?;
                let (a, m) = parse_ipv6_cidr(&text).ok_or_else(|| unknown(bad("an IPv6 address or network")))?;
                Lit::Ipv6 { addr: a, mask: m }
            }
            Kind::Mac => match &raw.val {
                RawVal::Word(w) => {
                    let b = parse_hex_bytes(w)
                        .filter(|b| b.len() == 6)
                        .ok_or_else(|| unknown(bad("a MAC address (6 octets, e.g. 00:21:6a:01:02:03)")))?;
                    Lit::Bytes(b)
                }
                RawVal::Str(s) => Lit::Bytes(s.clone()),
                RawVal::Char(c) => Lit::Bytes(vec![*c]),
            },
            Kind::Bytes => match &raw.val {
                RawVal::Word(w) => Lit::Bytes(
                    parse_hex_bytes(w).ok_or_else(|| unknown(bad("a byte string (e.g. aa:bb:cc or aabbcc)")))?,
                ),
                RawVal::Str(s) => Lit::Bytes(s.clone()),
                RawVal::Char(c) => Lit::Bytes(vec![*c]),
            },
            Kind::Text => match &raw.val {
                RawVal::Word(w) => Lit::Str(w.as_bytes().to_vec()),
                RawVal::Str(s) => Lit::Str(s.clone()),
                RawVal::Char(c) => Lit::Str(vec![*c]),
            },
            Kind::Any => {
                let text: Vec<u8> = match &raw.val {
                    RawVal::Word(w) => w.as_bytes().to_vec(),
                    RawVal::Str(s) => s.clone(),
                    RawVal::Char(c) => vec![*c],
                };
                let int = match &raw.val {
                    RawVal::Word(w) => parse_int(w),
                    _ => None,
                };
                Lit::Any { text, int }
            }
        };
        Ok(lit)
    }
}

fn label_msg(o: &Operand) -> String {
    match o {
        Operand::Field { f, .. } => format!("\"{}\" is a label: it can only be tested for presence", f.written),
        _ => "a label can only be tested for presence".to_owned(),
    }
}

fn comparable(a: Kind, b: Kind) -> bool {
    use Kind::*;
    match (a, b) {
        (Label, _) | (_, Label) => false,
        (Int | Bool, Int | Bool) => true,
        (Bytes | Mac | Text, Bytes | Mac | Text) => true,
        (Any, _) | (_, Any) => true,
        (x, y) => x == y,
    }
}

fn word<'r>(raw: &'r Raw<'_>) -> Option<&'r str> {
    match &raw.val {
        RawVal::Word(w) => Some(w),
        _ => None,
    }
}

/// A word shaped like a field name: starts with a letter, has no `:` or `/`, and is not a
/// literal keyword or a bare hex string.
fn looks_like_name(raw: &Raw<'_>) -> bool {
    let Some(w) = word(raw) else { return false };
    let mut chars = w.chars();
    let starts_with_letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let is_literal = w.contains([':', '/'])
        || matches!(w.to_ascii_lowercase().as_str(), "true" | "false")
        || (w.len() % 2 != 1 && w.bytes().all(|b| b.is_ascii_hexdigit()));
    starts_with_letter && !is_literal
}

fn text_of(raw: &Raw<'_>) -> Option<String> {
    match &raw.val {
        RawVal::Word(w) => Some((*w).to_owned()),
        RawVal::Str(s) => String::from_utf8(s.clone()).ok(),
        RawVal::Char(_) => None,
    }
}

/// Integer literal: decimal, `0x` hex, `0b` binary, leading-zero octal, optional sign.
pub(crate) fn parse_int(w: &str) -> Option<i128> {
    let (neg, body) = match w.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, w.strip_prefix('+').unwrap_or(w)),
    };
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        (16, h)
    } else if let Some(b) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
        (2, b)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = u64::from_str_radix(digits, radix).ok()?;
    let v = i128::from(v);
    Some(if neg { -v } else { v })
}

fn parse_ipv4_cidr(s: &str) -> Option<(u32, u32)> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr = u32::from(a.parse::<Ipv4Addr>().ok()?);
    let mask = match p {
        None => u32::MAX,
        Some(p) => {
            let n: u32 = p.parse().ok().filter(|n| *n <= 32)?;
            u32::MAX.checked_shl(32 - n).unwrap_or(0)
        }
    };
    Some((addr & mask, mask))
}

fn parse_ipv6_cidr(s: &str) -> Option<(u128, u128)> {
    let (a, p) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let addr = u128::from(a.parse::<Ipv6Addr>().ok()?);
    let mask = match p {
        None => u128::MAX,
        Some(p) => {
            let n: u32 = p.parse().ok().filter(|n| *n <= 128)?;
            u128::MAX.checked_shl(128 - n).unwrap_or(0)
        }
    };
    Some((addr & mask, mask))
}

/// Byte string: `aa:bb:cc`, `aa-bb-cc`, `aabb.ccdd` (groups of hex pairs), or bare `aabbcc`.
/// Separated forms may write one digit per octet (`0:1:2`), as Wireshark allows.
pub(crate) fn parse_hex_bytes(w: &str) -> Option<Vec<u8>> {
    let w = w.strip_prefix("0x").unwrap_or(w);
    if w.is_empty() {
        return None;
    }
    let hex_pairs = |g: &str| -> Option<Vec<u8>> {
        if g.is_empty() || g.len() % 2 == 1 {
            return None;
        }
        hex::decode(g).ok()
    };
    if let Some(sep) = [':', '-'].into_iter().find(|c| w.contains(*c)) {
        let mut out = Vec::new();
        for g in w.split(sep) {
            match g.len() {
                1 | 2 => out.push(u8::from_str_radix(g, 16).ok()?),
                _ => return None,
            }
        }
        return Some(out);
    }
    if w.contains('.') {
        let mut out = Vec::new();
        for g in w.split('.') {
            out.extend(hex_pairs(g)?);
        }
        return Some(out);
    }
    if w.len() == 1 {
        return u8::from_str_radix(w, 16).ok().map(|b| vec![b]);
    }
    hex_pairs(w)
}

fn parse_slice(w: &str) -> Option<Slice> {
    let num = |s: &str| -> Option<i64> { s.parse::<i64>().ok() };
    if let Some(rest) = w.strip_prefix(':') {
        let n: u64 = rest.parse().ok()?;
        return Some(Slice {
            start: 0,
            end: SliceEnd::Len(n),
        });
    }
    if let Some((a, b)) = w.split_once(':') {
        let start = num(a)?;
        let end = if b.is_empty() {
            SliceEnd::ToEnd
        } else {
            SliceEnd::Len(b.parse().ok()?)
        };
        return Some(Slice { start, end });
    }
    // `i-j` (an inclusive range); a leading '-' is the sign of i.
    let (sign, body) = match w.strip_prefix('-') {
        Some(b) => (-1, b),
        None => (1, w),
    };
    if let Some((a, b)) = body.split_once('-') {
        let start = sign * num(a)?;
        let end = if let Some(b) = b.strip_prefix('-') {
            -num(b)?
        } else {
            num(b)?
        };
        return Some(Slice {
            start,
            end: SliceEnd::Inclusive(end),
        });
    }
    Some(Slice {
        start: num(w)?,
        end: SliceEnd::Len(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_per_wireshark() {
        assert_eq!(parse_int("255"), Some(255));
        assert_eq!(parse_int("0xff"), Some(255));
        assert_eq!(parse_int("0377"), Some(255));
        assert_eq!(parse_int("0b11111111"), Some(255));
        assert_eq!(parse_int("-5"), Some(-5));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("08"), None);
        assert_eq!(parse_int("1x"), None);
    }

    #[test]
    fn byte_strings() {
        assert_eq!(parse_hex_bytes("00:21:6a"), Some(vec![0, 0x21, 0x6a]));
        assert_eq!(parse_hex_bytes("00-21-6A"), Some(vec![0, 0x21, 0x6a]));
        assert_eq!(parse_hex_bytes("0021.6a01.0203"), Some(vec![0, 0x21, 0x6a, 1, 2, 3]));
        assert_eq!(parse_hex_bytes("00216a"), Some(vec![0, 0x21, 0x6a]));
        assert_eq!(parse_hex_bytes("0:1"), Some(vec![0, 1]));
        assert_eq!(parse_hex_bytes("abc"), None);
        assert_eq!(parse_hex_bytes("zz"), None);
    }

    #[test]
    fn slices() {
        assert_eq!(
            parse_slice("0:3"),
            Some(Slice {
                start: 0,
                end: SliceEnd::Len(3)
            })
        );
        assert_eq!(
            parse_slice("1-3"),
            Some(Slice {
                start: 1,
                end: SliceEnd::Inclusive(3)
            })
        );
        assert_eq!(
            parse_slice(":2"),
            Some(Slice {
                start: 0,
                end: SliceEnd::Len(2)
            })
        );
        assert_eq!(
            parse_slice("2:"),
            Some(Slice {
                start: 2,
                end: SliceEnd::ToEnd
            })
        );
        assert_eq!(
            parse_slice("-1"),
            Some(Slice {
                start: -1,
                end: SliceEnd::Len(1)
            })
        );
        assert_eq!(parse_slice("x"), None);
    }

    #[test]
    fn cidr() {
        assert_eq!(parse_ipv4_cidr("10.1.2.3/8"), Some((0x0a00_0000, 0xff00_0000)));
        assert_eq!(parse_ipv4_cidr("10.1.2.3"), Some((0x0a01_0203, u32::MAX)));
        assert_eq!(parse_ipv4_cidr("10.1.2.3/0"), Some((0, 0)));
        assert_eq!(parse_ipv4_cidr("10.1.2.3/33"), None);
    }
}
